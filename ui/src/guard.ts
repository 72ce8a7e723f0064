// Blocks the developer tools shortcuts and reports each attempt to the
// engine (report_window_event { kind: "devtools_attempt" }). The context
// menu is suppressed too, but a right-click is not an attempt at anything:
// it is never reported (under a strict policy two reports submit the exam).

export type Reporter = () => void;

/** True for F12, Ctrl+Shift+I/J/C/K, Ctrl+U (and the Cmd+Opt variants). */
export function isDevtoolsKey(e: KeyboardEvent): boolean {
  if (e.key === "F12" || e.code === "F12") return true;
  const letter = (e.code && e.code.startsWith("Key") ? e.code.slice(3) : e.key).toUpperCase();
  const ctrl = e.ctrlKey || e.metaKey;
  if (!ctrl) return false;
  if ((e.shiftKey || (e.metaKey && e.altKey)) && ["I", "J", "C", "K"].includes(letter)) return true;
  if (letter === "U" && !e.shiftKey) return true;
  return false;
}

/** Installs capture-phase listeners; returns a function that removes them. */
export function installDevtoolsGuard(target: Window, report: Reporter): () => void {
  const onKey = (e: KeyboardEvent) => {
    if (!isDevtoolsKey(e)) return;
    e.preventDefault();
    e.stopPropagation();
    if (!e.repeat) report();
  };
  const onMenu = (e: Event) => {
    e.preventDefault();
  };
  target.addEventListener("keydown", onKey, true);
  target.addEventListener("contextmenu", onMenu, true);
  return () => {
    target.removeEventListener("keydown", onKey, true);
    target.removeEventListener("contextmenu", onMenu, true);
  };
}
