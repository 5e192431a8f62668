// Axis ticks for the canvas first view (canvas_chart.js): "nice" steps of 1, 2 or 5 times a
// power of ten, calendar steps for wall time (local time, as Plotly shows Date values), and
// decades for log axes, with labels written the way Plotly writes them (200k, 1.5M, 0.001).

const SUFFIXES = ["p", "n", "µ", "m", "", "k", "M", "B", "T"];

// The step of about `target` ticks over span: the rough step rounded up to 2, 5 or 10 times a
// power of ten, as Plotly rounds it.
export function niceStep(span, target) {
  const raw = span / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  return (norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
}

const trim = (text) => (text.includes(".") ? text.replace(/\.?0+$/, "") : text);
// Plotly writes negative tick labels with a minus sign, not a hyphen.
const minus = (text) => text.replace(/^-/, "\u2212");

// A label for value on an axis whose ticks are `step` apart and whose range reaches `largest`
// in size. As Plotly does, an axis reaching 10^4 or more (or under 10^-3) writes every tick in
// the SI unit of that size (2k 4k 6k; 0.2M 0.4M; 20µ 40µ), others plainly.
export function numberLabel(value, step, largest) {
  if (value === 0) return "0";
  const exponent = Math.floor(Math.log10(largest) + 0.01);
  let unit = 1, suffix = "";
  if (Math.abs(exponent) > 3) {
    const thousands = Math.max(-4, Math.min(4, Math.floor(exponent / 3)));
    unit = 10 ** (3 * thousands);
    suffix = SUFFIXES[thousands + 4];
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(step / unit) + 1e-9));
  return trim((value / unit).toFixed(Math.min(decimals, 12))) + suffix;
}

export function linearTicks(low, high, target) {
  if (!(high > low)) return [];
  const step = niceStep(high - low, target);
  const out = [];
  for (let v = Math.ceil(low / step - 1e-9) * step; v <= high + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  const largest = Math.max(Math.abs(low), Math.abs(high));
  return out.map((v) => ({ value: v, label: minus(numberLabel(v, step, largest)) }));
}

// Log axes work in log10 units: decades, plus 2 and 5 between them when few decades show.
export function logTicks(low, high, target) {
  if (!(high > low)) return [];
  const decades = high - low;
  const every = Math.max(1, Math.ceil(decades / Math.max(1, target)));
  const multiples = decades < target / 3 ? [1, 2, 5] : [1];
  const out = [];
  for (let d = Math.floor(low); d <= Math.ceil(high); d += 1) {
    if (d % every) continue;
    for (const m of multiples) {
      const at = d + Math.log10(m);
      if (at < low - 1e-9 || at > high + 1e-9) continue;
      const value = m * 10 ** d;
      const text = Math.abs(d) >= 5 ? `${m === 1 ? "" : `${m}×`}1e${d}` : trim(value.toFixed(Math.max(0, -d)));
      out.push({ value: at, label: text });
    }
  }
  return out;
}

const SECOND = 1000, MINUTE = 60 * SECOND, HOUR = 60 * MINUTE, DAY = 24 * HOUR;
const TIME_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND,
  15 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n, width = 2) => String(n).padStart(width, "0");

function timeLabel(date, step) {
  const hm = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  if (step < SECOND) return trim(`${hm}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`);
  if (step < MINUTE) return `${hm}:${pad(date.getSeconds())}`;
  if (step < DAY) return hm;
  return `${MONTHS[date.getMonth()]} ${date.getDate()}`;
}

const dayLabel = (date) => `${MONTHS[date.getMonth()]} ${date.getDate()}, ${date.getFullYear()}`;

// Ticks of a wall-time axis (epoch ms), aligned in local time; the first tick of a range
// within a day also names the day (`sub`), as Plotly's date axes do.
export function timeTicks(low, high, target) {
  if (!(high > low)) return [];
  const wanted = (high - low) / Math.max(1, target);
  const step = TIME_STEPS.find((s) => s >= wanted);
  const out = [];
  if (step === undefined) {
    const months = Math.max(1, Math.ceil(wanted / (30 * DAY)));
    const start = new Date(low);
    const date = new Date(start.getFullYear(), start.getMonth() + 1, 1);
    for (; date.getTime() <= high; date.setMonth(date.getMonth() + months)) {
      out.push({ value: date.getTime(), label: `${MONTHS[date.getMonth()]} ${date.getFullYear()}` });
    }
    return out;
  }
  const offset = new Date(low).getTimezoneOffset() * MINUTE;
  const first = Math.ceil((low - offset) / step) * step + offset;
  for (let v = first; v <= high; v += step) {
    out.push({ value: v, label: timeLabel(new Date(v), step) });
  }
  if (step < DAY && out.length) out[0].sub = dayLabel(new Date(out[0].value));
  return out;
}

// Category axes: every category while they fit, else every n-th.
export function categoryTicks(names, target) {
  const every = Math.max(1, Math.ceil(names.length / Math.max(1, target)));
  return names.map((name, i) => ({ value: i, label: name })).filter((_, i) => i % every === 0);
}
