// jsdom has no canvas: make getContext return null quietly instead of logging
// "Not implemented". The UI treats a missing 2D context as "nothing to draw".
import { afterEach, vi } from "vitest";
import { setLocale } from "../i18n";

Object.defineProperty(HTMLCanvasElement.prototype, "getContext", {
  configurable: true,
  writable: true,
  value: () => null,
});

// jsdom does not scroll ("Not implemented"): screens scroll to their top.
window.scrollTo = (() => undefined) as typeof window.scrollTo;

afterEach(() => {
  vi.useRealTimers();
  // Each test starts in English, whatever the one before chose.
  setLocale("en");
  document.body.replaceChildren();
  document.documentElement.className = "";
  localStorage.clear();
  sessionStorage.clear();
});
