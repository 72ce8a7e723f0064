// Every screen in the pseudo-locale: each word the candidate reads must
// come from the catalogue (bracketed and accented there), or be data the
// app was given (the exam's title, its questions, names, numbers). A word
// written into the code shows up here as plain English.
//
// The system check's items, the consent terms' items and the errors come
// from Rust as English prose today; they are data to this test until the
// engine sends them as message ids (issue 21, next step).

import { afterEach, describe, expect, it } from "vitest";
import type { App } from "./app";
import { LANGUAGE_KEY, PSEUDO } from "./i18n";
import type { MockApi } from "./mock";
import { walkScreens } from "./test/screens";

let app: App | null = null;
afterEach(() => {
  app?.destroy();
  app = null;
});

/** Every string inside `value` (the data the mock app gave the page). */
function strings(value: unknown, into: Set<string>): Set<string> {
  if (typeof value === "string") {
    if (value.trim()) into.add(value.trim());
  } else if (Array.isArray(value)) value.forEach((v) => strings(v, into));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => strings(v, into));
  return into;
}

/** Text on the page (and the dialogs) that is neither from the catalogue nor data. */
function stray(data: Set<string>): string[] {
  const out: string[] = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = (n.textContent ?? "").trim();
    if (!text) continue;
    const parent = n.parentElement;
    if (parent?.closest("[hidden], option, script, style")) continue;
    if (/^[\s\d:.,%/()✓✕⚑◆◐!i·—–-]*$/.test(text)) continue;
    if (text.includes("[") && text.includes("]")) continue;
    if (data.has(text)) continue;
    // A date or time as Intl writes it is a value, not words.
    if (!Number.isNaN(Date.parse(text))) continue;
    out.push(text);
  }
  for (const el of document.querySelectorAll<HTMLElement>("[aria-label]")) {
    const label = el.getAttribute("aria-label") ?? "";
    if (!label.includes("[")) out.push(`aria-label: ${label}`);
  }
  return out;
}

async function data(api: MockApi): Promise<Set<string>> {
  const set = new Set<string>();
  strings(await api.launchState(), set);
  strings(await api.runSystemCheck(), set);
  strings(await api.consentTerms(), set);
  strings(await api.cameraPreview(), set);
  return set;
}

describe("pseudo-locale", () => {
  it("every screen's words come from the catalogue", async () => {
    localStorage.setItem(LANGUAGE_KEY, PSEUDO);
    const seen: Record<string, string[]> = {};
    let known: Set<string> | null = null;
    app = await walkScreens(async (screen, api, walking) => {
      known ??= await data(api);
      strings(walking.route, known);
      known.add("Logitech K380");
      seen[screen] = stray(known);
    });
    expect(Object.keys(seen)).toContain("receipt");
    for (const [screen, words] of Object.entries(seen)) expect(words, screen).toEqual([]);
  });
});
