// axe-core on every screen the candidate sees, in each shipped language:
// any serious or critical violation fails. jsdom has no layout, so the
// rules that need one (colour contrast above all) are axe's "incomplete"
// here; the end-to-end test runs axe in the app's real WebKit for those.

import axe from "axe-core";
import { afterEach, describe, expect, it } from "vitest";
import type { App } from "./app";
import { LANGUAGE_KEY, LOCALES } from "./i18n";
import { walkScreens } from "./test/screens";

let app: App | null = null;
afterEach(() => {
  app?.destroy();
  app = null;
});

/** Serious and critical violations on the page now, in words. */
async function violations(): Promise<string[]> {
  const result = await axe.run(document, {
    resultTypes: ["violations"],
    // jsdom cannot scroll or lay out: these need the real engine.
    rules: { "color-contrast": { enabled: false }, "scrollable-region-focusable": { enabled: false } },
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

describe("accessibility (axe-core)", () => {
  it("finds what it should: an unlabelled field and a button without a name", async () => {
    document.body.innerHTML = '<main><h1>x</h1><input type="text"><button></button></main>';
    const v = await violations();
    expect(v.some((line) => line.startsWith("label (critical)"))).toBe(true);
    expect(v.some((line) => line.startsWith("button-name (critical)"))).toBe(true);
  });

  it.each(Object.keys(LOCALES))("every screen in %s has no serious or critical violation", async (tag) => {
    localStorage.setItem(LANGUAGE_KEY, tag);
    const found: Record<string, string[]> = {};
    app = await walkScreens(async (screen) => {
      found[screen] = await violations();
    });
    expect(Object.keys(found)).toContain("receipt");
    for (const [screen, v] of Object.entries(found)) expect(v, screen).toEqual([]);
  }, 30_000);
});
