// The calm warning banner (#warning). Text comes from the app and is shown
// exactly as given (as text, never HTML). Dismissable; hides itself after ~15 s.

import { h } from "./dom";
import { t } from "./i18n";

export const BANNER_HIDE_MS = 15_000;

export class Banner {
  /** The live region: always in the DOM so screen readers notice changes. */
  readonly root: HTMLElement;
  private readonly box: HTMLElement;
  private readonly text: HTMLElement;
  private hideTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly hideAfterMs = BANNER_HIDE_MS) {
    this.text = h("p", { id: "warning-text", class: "banner-text" });
    const dismiss = h(
      "button",
      { id: "warning-dismiss", type: "button", class: "button-quiet", onclick: () => this.hide() },
      t("banner-dismiss"),
    );
    this.box = h(
      "div",
      { class: "banner-box", hidden: true },
      h("span", { class: "banner-icon", "aria-hidden": "true" }, "i"),
      this.text,
      dismiss,
    );
    this.root = h("div", { id: "warning", class: "banner", role: "status", "aria-live": "polite", "aria-atomic": "true" }, this.box);
  }

  show(text: string, severity?: string): void {
    const t = String(text ?? "").trim();
    if (!t) return;
    this.text.textContent = t;
    this.box.dataset.severity = severity ?? "info";
    this.box.hidden = false;
    if (this.hideTimer !== null) clearTimeout(this.hideTimer);
    this.hideTimer = setTimeout(() => this.hide(), this.hideAfterMs);
  }

  hide(): void {
    if (this.hideTimer !== null) clearTimeout(this.hideTimer);
    this.hideTimer = null;
    const hadFocus = this.box.contains(document.activeElement);
    this.box.hidden = true;
    this.text.textContent = "";
    if (hadFocus) {
      const main = document.querySelector<HTMLElement>("[data-screen]");
      main?.focus();
    }
  }

  get visible(): boolean {
    return !this.box.hidden;
  }

  get message(): string {
    return this.text.textContent ?? "";
  }
}
