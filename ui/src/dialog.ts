// Modal dialog: role="dialog" + aria-modal, focus trapped inside, the rest of
// the page made inert, Escape closes, focus returns to where it came from.

import { focusable, h, uid } from "./dom";

export interface DialogOptions {
  id: string;
  title: string;
  /** Called when the dialog closes by Escape or a cancel action. */
  onCancel?: () => void;
  /** Element to focus first (defaults to the first focusable element). */
  initialFocus?: () => HTMLElement | null;
  /** The page content made inert while the dialog is open. */
  background?: () => HTMLElement[];
  /** Where focus goes on close if the opener is unknown (e.g. opened by mouse). */
  returnFocus?: () => HTMLElement | null;
}

export class Dialog {
  readonly overlay: HTMLElement;
  readonly panel: HTMLElement;
  readonly body: HTMLElement;
  readonly heading: HTMLElement;
  private returnFocus: HTMLElement | null = null;
  private inerted: HTMLElement[] = [];

  constructor(private readonly opts: DialogOptions) {
    const headingId = uid(`${opts.id}-title`);
    this.heading = h("h2", { id: headingId, class: "dialog-title" }, opts.title);
    this.body = h("div", { class: "dialog-body" });
    this.panel = h(
      "div",
      { id: opts.id, class: "dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": headingId, tabindex: "-1" },
      this.heading,
      this.body,
    );
    this.overlay = h("div", { class: "dialog-overlay", hidden: true }, this.panel);
    this.panel.addEventListener("keydown", (e) => this.onKey(e));
  }

  get isOpen(): boolean {
    return !this.overlay.hidden;
  }

  open(): void {
    if (this.isOpen) return;
    if (!this.overlay.isConnected) document.body.appendChild(this.overlay);
    const active = document.activeElement;
    this.returnFocus =
      active instanceof HTMLElement && active !== document.body && !this.overlay.contains(active)
        ? active
        : (this.opts.returnFocus?.() ?? null);
    this.overlay.hidden = false;
    this.inerted = (this.opts.background?.() ?? defaultBackground(this.overlay)).filter(
      (el) => !el.contains(this.overlay) && !el.hasAttribute("inert"),
    );
    for (const el of this.inerted) {
      el.setAttribute("inert", "");
      el.setAttribute("aria-hidden", "true");
    }
    const first = this.opts.initialFocus?.() ?? focusable(this.panel)[0] ?? this.panel;
    first.focus();
  }

  close(): void {
    if (!this.isOpen) return;
    this.overlay.hidden = true;
    for (const el of this.inerted) {
      el.removeAttribute("inert");
      el.removeAttribute("aria-hidden");
    }
    this.inerted = [];
    const back = this.returnFocus;
    this.returnFocus = null;
    if (back && back.isConnected) back.focus();
  }

  destroy(): void {
    this.close();
    this.overlay.remove();
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      if (this.opts.onCancel) this.opts.onCancel();
      else this.close();
      return;
    }
    if (e.key !== "Tab") return;
    const items = focusable(this.panel);
    if (items.length === 0) {
      e.preventDefault();
      this.panel.focus();
      return;
    }
    const first = items[0] as HTMLElement;
    const last = items[items.length - 1] as HTMLElement;
    const active = document.activeElement;
    if (e.shiftKey && (active === first || active === this.panel)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && active === last) {
      e.preventDefault();
      first.focus();
    } else if (!this.panel.contains(active)) {
      e.preventDefault();
      first.focus();
    }
  }
}

/** Siblings of the overlay under <body>. */
function defaultBackground(overlay: HTMLElement): HTMLElement[] {
  const parent = overlay.parentElement ?? document.body;
  return Array.from(parent.children).filter(
    (el): el is HTMLElement => el instanceof HTMLElement && el !== overlay && !el.classList.contains("dialog-overlay"),
  );
}
