// Applied before the page paints, so a dark-mode choice never flashes light.
(function () {
  try {
    var theme = localStorage.getItem("runwell:theme");
    if (theme === "dark" || theme === "light") document.documentElement.dataset.theme = theme;
  } catch (e) { /* storage blocked: follow the system setting */ }
})();
