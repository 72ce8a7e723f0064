// Every pair of colours the style sheet draws text with, in each theme
// (normal, the high-contrast toggle, the system asking for more contrast),
// meets WCAG 2.2 AA: 4.5:1 for text, 3:1 for the focus ring (a non-text
// indicator). The pairs are the states: a button at rest and under the
// pointer, the primary and the current question's button, answered and
// flagged marks, notes and errors, the timer running low.

import { describe, expect, it } from "vitest";
import css from "./style.css?raw";

/** The custom properties of the block that starts with `selector {`. */
function theme(selector: string): Record<string, string> {
  const at = css.indexOf(`${selector} {`);
  if (at < 0) throw new Error(`no ${selector} in style.css`);
  const body = css.slice(at, css.indexOf("}", at));
  return Object.fromEntries([...body.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})/g)].map((m) => [m[1], m[2]]));
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) =>
    v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4,
  ) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function ratio(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

/** [what, foreground, background, minimum] as the style sheet pairs them. */
const PAIRS: [string, string, string, number][] = [
  ["text on the page", "text", "bg", 4.5],
  ["text on a card", "text", "surface", 4.5],
  ["hints on a card", "muted", "surface", 4.5],
  ["hints on the page", "muted", "bg", 4.5],
  ["a button at rest", "accent", "surface", 4.5],
  ["a button under the pointer", "accent", "accent-soft", 4.5],
  ["an answered question's button", "accent", "accent-soft", 4.5],
  ["the primary button and the current question (also under the pointer)", "accent-text", "accent", 4.5],
  ["text on an answered question's button", "text", "accent-soft", 4.5],
  ["a ready item", "ok", "ok-soft", 4.5],
  ["a warning and the timer running low", "warn", "warn-soft", 4.5],
  ["an error", "block", "block-soft", 4.5],
  ["an information banner", "text", "info-soft", 4.5],
  ["the focus ring on a card", "focus", "surface", 3],
  ["the focus ring on the page", "focus", "bg", 3],
];

describe("colour contrast (WCAG 2.2 AA)", () => {
  const base = theme(":root");
  const themes: Record<string, Record<string, string>> = {
    normal: base,
    "high contrast": { ...base, ...theme("html.high-contrast") },
    "more contrast (system)": { ...base, ...theme("@media (prefers-contrast: more) {\n  :root") },
  };
  for (const [name, colours] of Object.entries(themes)) {
    it(`${name}: every state's text is readable`, () => {
      const low = PAIRS.flatMap(([what, fg, bg, min]) => {
        const [f, b] = [colours[fg], colours[bg]];
        if (!f || !b) return [`${what}: --${fg} or --${bg} missing`];
        const r = ratio(f, b);
        return r >= min ? [] : [`${what}: ${f} on ${b} is ${r.toFixed(2)}:1, needs ${min}:1`];
      });
      expect(low).toEqual([]);
    });
  }
});
