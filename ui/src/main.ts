// Entry point. Picks the real Tauri API inside the app, the in-memory demo
// when opened in a plain browser (npm run dev).

import "./style.css";
import { createMockApi, isTauri, tauriApi } from "./api";
import { startApp } from "./app";

const mount = document.getElementById("app");
if (mount) {
  const api = isTauri() ? tauriApi : createMockApi({ checkDelayMs: 2000, extraTimePercent: 25 });
  startApp(mount, api);
}
