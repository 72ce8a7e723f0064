// Entry point. The real Tauri API inside the app; in a development build
// opened in a plain browser (npm run dev), the in-memory demo, which a
// production build does not contain.

import "./style.css";
import { isTauri, tauriApi } from "./api";
import { startApp } from "./app";

const mount = document.getElementById("app");
if (mount) {
  if (isTauri()) {
    startApp(mount, tauriApi);
  } else if (import.meta.env.DEV) {
    void import("./mock").then(({ createMockApi }) =>
      startApp(mount, createMockApi({ checkDelayMs: 2000, extraTimePercent: 25 })),
    );
  } else {
    mount.textContent = "Paraakh Secure Exam runs inside its app: open the app to take your exam.";
  }
}
