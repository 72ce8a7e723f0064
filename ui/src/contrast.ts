// High-contrast toggle. The class `high-contrast` on <html> switches the CSS
// variables; the choice is remembered in localStorage. `prefers-contrast: more`
// and `forced-colors` are honoured in CSS on their own.

import { h } from "./dom";
import { t } from "./i18n";

export const CONTRAST_KEY = "paraakh.highContrast";

function readStored(storage: Storage | null): boolean {
  try {
    return storage?.getItem(CONTRAST_KEY) === "1";
  } catch {
    return false;
  }
}

function store(storage: Storage | null, on: boolean): void {
  try {
    storage?.setItem(CONTRAST_KEY, on ? "1" : "0");
  } catch {
    /* storage may be unavailable; the toggle still works for this session */
  }
}

function safeLocalStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function applyStoredContrast(doc: Document = document, storage: Storage | null = safeLocalStorage()): boolean {
  const on = readStored(storage);
  doc.documentElement.classList.toggle("high-contrast", on);
  return on;
}

export function createContrastToggle(doc: Document = document, storage: Storage | null = safeLocalStorage()): HTMLButtonElement {
  const on = applyStoredContrast(doc, storage);
  const label = h("span", { class: "contrast-label" }, t("contrast-toggle"));
  const button = h(
    "button",
    { id: "contrast-toggle", type: "button", class: "button-quiet", "aria-pressed": on ? "true" : "false" },
    h("span", { class: "contrast-icon", "aria-hidden": "true" }, "◐ "),
    label,
  );

  button.addEventListener("click", () => {
    const next = !doc.documentElement.classList.contains("high-contrast");
    doc.documentElement.classList.toggle("high-contrast", next);
    button.setAttribute("aria-pressed", next ? "true" : "false");
    store(storage, next);
  });
  return button;
}
