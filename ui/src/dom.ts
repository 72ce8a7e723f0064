// A tiny DOM helper. Everything is built with createElement + textContent:
// text from the exam package or the app is never parsed as HTML.

export type Child = Node | string | number | null | undefined | false;

type Handler = (ev: Event) => void;

export interface Attrs {
  [name: string]: string | number | boolean | null | undefined | Handler;
}

/**
 * h("button", { id: "next", type: "button", onclick: fn }, "Next")
 *
 * - `on*` keys with a function value become event listeners.
 * - `true` sets an empty attribute, `false`/null/undefined leave it out.
 * - `class` / `className` both set the class attribute.
 * - There is deliberately no way to pass HTML, and `style` attributes are
 *   refused (they break under the CSP `style-src 'self'`).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (typeof value === "function") {
        if (!key.startsWith("on")) throw new Error(`h(): function given for ${key}`);
        el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
        continue;
      }
      const name = key === "className" ? "class" : key;
      if (name === "style") throw new Error("h(): inline style attributes are not allowed (CSP)");
      if (name === "innerHTML" || name === "outerHTML") throw new Error("h(): HTML is not allowed");
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

/** Replaces the content of `el` with `children`. */
export function replace(el: Node, ...children: (Child | Child[])[]): void {
  clear(el);
  append(el, ...children);
}

/** Text that spans several lines keeps its line breaks (CSS white-space: pre-line). */
export function paragraphs(text: string, className = "text-block"): HTMLElement {
  return h("p", { class: className }, text);
}

let idCounter = 0;
export function uid(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** Elements inside `root` that take part in the Tab order. */
export function focusable(root: HTMLElement): HTMLElement[] {
  const sel = [
    "a[href]",
    "button:not([disabled])",
    "input:not([disabled]):not([type=hidden])",
    "select:not([disabled])",
    "textarea:not([disabled])",
    "summary",
    "[tabindex]:not([tabindex='-1'])",
  ].join(",");
  return Array.from(root.querySelectorAll<HTMLElement>(sel)).filter((el) => !el.closest("[hidden]"));
}

/** Sets busy state on a button: disabled + aria-busy + a different label. */
export function setBusy(button: HTMLButtonElement, busy: boolean, busyLabel?: string): void {
  if (busy) {
    if (!button.dataset.label) button.dataset.label = button.textContent ?? "";
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    if (busyLabel) button.textContent = busyLabel;
  } else {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    if (button.dataset.label !== undefined) {
      button.textContent = button.dataset.label;
      delete button.dataset.label;
    }
  }
}
