// Every word the candidate reads comes from a catalogue (Project Fluent:
// ui/locales/LANG.ftl, one file per language a translator edits without
// reading code). Plurals, numbers and dates follow the language; right-to-
// left languages turn the page (`dir` on <html>, logical CSS properties).
// A pseudo-locale (accented, 40 % longer, bracketed) shows in tests any
// word that did not come from the catalogue and any box too small for a
// longer language.

import { FluentBundle, FluentResource, type FluentVariable } from "@fluent/bundle";
import ar from "../locales/ar.ftl?raw";
import en from "../locales/en.ftl?raw";
import es from "../locales/es.ftl?raw";
import hi from "../locales/hi.ftl?raw";

export type Args = Record<string, FluentVariable>;

interface LocaleInfo {
  /** Its own name for itself, for the language menu. */
  readonly name: string;
  readonly dir: "ltr" | "rtl";
  readonly source: string;
}

/** The languages shipped, by BCP 47 tag. */
export const LOCALES: { readonly [tag: string]: LocaleInfo } = {
  en: { name: "English", dir: "ltr", source: en },
  hi: { name: "हिन्दी", dir: "ltr", source: hi },
  ar: { name: "العربية", dir: "rtl", source: ar },
  es: { name: "Español", dir: "ltr", source: es },
};

/** The pseudo-locale's tag (Windows' and Chromium's name for it). */
export const PSEUDO = "en-XA";

export const FALLBACK = "en";

const ACCENTED: Record<string, string> = Object.fromEntries(
  [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"].map((c, i) => [
    c,
    [..."àƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÀƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ"][i] as string,
  ]),
);

/** "Start" → "[Šţàŕţ ~~]": accented, 40 % longer, bracketed. */
export function pseudo(text: string): string {
  if (text.trim() === "") return text;
  const accented = [...text].map((c) => ACCENTED[c] ?? c).join("");
  const longer = Math.ceil(text.length * 0.4);
  return `[${accented} ${"~".repeat(Math.max(longer - 2, 1))}]`;
}

function bundle(tag: string): FluentBundle {
  const isPseudo = tag === PSEUDO;
  const info = LOCALES[isPseudo ? FALLBACK : tag] ?? LOCALES[FALLBACK];
  const b = new FluentBundle(isPseudo ? FALLBACK : tag, {
    // Unicode isolation marks around placeables confuse text matching in
    // tests and are not needed: a placeable is never of another direction
    // than the sentence it sits in, except names, which we isolate by hand.
    useIsolating: false,
    transform: isPseudo ? pseudo : (s) => s,
  });
  const errors = b.addResource(new FluentResource(info?.source ?? ""));
  if (errors.length > 0) throw new Error(`the ${tag} catalogue does not parse: ${errors[0]?.message}`);
  return b;
}

let currentTag = FALLBACK;
let current = bundle(FALLBACK);
const fallback = bundle(FALLBACK);

/** The language in use now. */
export function locale(): string {
  return currentTag;
}

/** Whether the language in use reads right to left. */
export function isRtl(): boolean {
  return LOCALES[currentTag]?.dir === "rtl";
}

/**
 * Uses `tag` from now on (a shipped language or the pseudo-locale; anything
 * else falls back to English) and turns the page to its direction.
 */
export function setLocale(tag: string): void {
  const known = tag === PSEUDO || Object.prototype.hasOwnProperty.call(LOCALES, tag) ? tag : FALLBACK;
  currentTag = known;
  current = bundle(known);
  const root = document.documentElement;
  root.lang = known;
  root.dir = isRtl() ? "rtl" : "ltr";
  document.dispatchEvent(new Event(LANGUAGE_CHANGED));
}

/** Dispatched on `document` when the language changes: parts of the page
 * that outlive a screen (the app bar) say their words again. */
export const LANGUAGE_CHANGED = "paraakh-language-changed";

/**
 * The language to use: the one the exam fixes, else the first the
 * candidate or the system asks for that is shipped (by its primary
 * subtag: "es-MX" is Spanish), else English.
 */
export function chooseLocale(fixed: string | null | undefined, wanted: readonly string[]): string {
  for (const tag of [fixed, ...wanted]) {
    if (!tag) continue;
    if (tag === PSEUDO) return PSEUDO;
    const primary = tag.toLowerCase().split(/[-_.]/)[0] ?? "";
    if (Object.prototype.hasOwnProperty.call(LOCALES, primary)) return primary;
  }
  return FALLBACK;
}

/** Where the candidate's own choice of language is kept. */
export const LANGUAGE_KEY = "paraakh.language";

/** The language the candidate chose on this computer before, if any. */
export function rememberedLanguage(): string | null {
  try {
    return localStorage.getItem(LANGUAGE_KEY);
  } catch {
    return null;
  }
}

/** Uses `tag` and remembers it for the next start. */
export function chooseLanguage(tag: string): void {
  setLocale(tag);
  try {
    localStorage.setItem(LANGUAGE_KEY, locale());
  } catch {
    /* a locked-down profile without storage: the choice lasts this run */
  }
}

/** Messages asked for that no catalogue has (tests fail on any). */
export const missing = new Set<string>();

/** The message `id` in the language in use, with `args` placed. */
export function t(id: string, args?: Args): string {
  for (const b of [current, fallback]) {
    const message = b.getMessage(id);
    if (message?.value) {
      const errors: Error[] = [];
      const text = b.formatPattern(message.value, args ?? null, errors);
      if (errors.length === 0) return text;
    }
  }
  missing.add(id);
  return id;
}

/** A number as the language writes it. */
export function formatNumber(n: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(currentTag === PSEUDO ? FALLBACK : currentTag, options).format(n);
}

/** A date and time as the language writes it. */
export function formatDateTime(d: Date): string {
  if (Number.isNaN(d.getTime())) return t("time-unknown");
  return d.toLocaleString(currentTag === PSEUDO ? FALLBACK : currentTag, { dateStyle: "medium", timeStyle: "short" });
}

/** A time of day as the language writes it. */
export function formatTime(d: Date): string {
  if (Number.isNaN(d.getTime())) return t("time-unknown");
  return d.toLocaleTimeString(currentTag === PSEUDO ? FALLBACK : currentTag, { hour: "2-digit", minute: "2-digit" });
}
