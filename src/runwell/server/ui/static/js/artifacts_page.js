// A page whose only script is the artifact browser (the logged model page).
import { artifactBrowser } from "./artifacts.js";

artifactBrowser(document.getElementById("artifact-browser"));
