import { FluentBundle, FluentResource } from "@fluent/bundle";
import { afterEach, describe, expect, it } from "vitest";
import ar from "../locales/ar.ftl?raw";
import en from "../locales/en.ftl?raw";
import es from "../locales/es.ftl?raw";
import hi from "../locales/hi.ftl?raw";
import { chooseLanguage, chooseLocale, LANGUAGE_KEY, locale, missing, PSEUDO, pseudo, rememberedLanguage, setLocale, t } from "./i18n";
import { durationText } from "./timer";

const CATALOGUES: Record<string, string> = { en, hi, ar, es };

/** Variables that are numbers (plurals choose by them). */
const NUMBERS = new Set(["hours", "minutes", "answered", "total", "percent", "count"]);

/** Each message's id and the variables it uses. */
function messages(source: string): Map<string, Set<string>> {
  const resource = new FluentResource(source);
  const out = new Map<string, Set<string>>();
  for (const entry of resource.body) {
    if (!("id" in entry) || entry.id.startsWith("-")) continue;
    const vars = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") {
        const n = node as { type?: string; name?: string };
        if (n.type === "var" && n.name) vars.add(n.name);
        Object.values(node).forEach(walk);
      }
    };
    walk(entry.value);
    out.set(entry.id, vars);
  }
  return out;
}

afterEach(() => setLocale("en"));

describe("catalogues", () => {
  const english = messages(en);

  it.each(Object.keys(CATALOGUES))("%s has every message English has, with the same values, and no others", (tag) => {
    const source = CATALOGUES[tag] as string;
    expect(new FluentBundle(tag).addResource(new FluentResource(source)).map(String)).toEqual([]);
    const other = messages(source);
    expect([...other.keys()].sort()).toEqual([...english.keys()].sort());
    for (const [id, vars] of english) {
      expect([...(other.get(id) ?? [])].sort(), `${tag}: ${id}`).toEqual([...vars].sort());
    }
  });

  it("every language says every message without falling back", () => {
    for (const tag of Object.keys(CATALOGUES)) {
      setLocale(tag);
      missing.clear();
      for (const [id, vars] of english) {
        const args = Object.fromEntries([...vars].map((v) => [v, NUMBERS.has(v) ? 3 : `<${v}>`]));
        const text = t(id, args);
        expect(text, `${tag}: ${id}`).not.toBe(id);
        for (const v of vars) if (!NUMBERS.has(v)) expect(text, `${tag}: ${id} places ${v}`).toContain(`<${v}>`);
      }
      expect([...missing]).toEqual([]);
    }
  });
});

describe("choosing the language", () => {
  it("takes the exam's, else the first shipped one asked for, else English", () => {
    expect(chooseLocale("ar", ["es-ES"])).toBe("ar");
    expect(chooseLocale(null, ["fr-FR", "es-MX", "hi"])).toBe("es");
    expect(chooseLocale(undefined, ["hi_IN.UTF-8"])).toBe("hi");
    expect(chooseLocale(null, ["fr", "de"])).toBe("en");
    expect(chooseLocale("", [])).toBe("en");
    expect(chooseLocale(PSEUDO, [])).toBe(PSEUDO);
  });

  it("turns the page for Arabic and back, and remembers the candidate's choice", () => {
    chooseLanguage("ar");
    expect(document.documentElement.dir).toBe("rtl");
    expect(document.documentElement.lang).toBe("ar");
    expect(rememberedLanguage()).toBe("ar");
    expect(localStorage.getItem(LANGUAGE_KEY)).toBe("ar");
    setLocale("klingon");
    expect(locale()).toBe("en");
    expect(document.documentElement.dir).toBe("ltr");
  });

  it("plurals and numbers follow the language", () => {
    setLocale("en");
    expect(durationText(60, 50)).toBe("1 hour 30 minutes (1 hour plus 50 % extra time)");
    setLocale("es");
    expect(durationText(90, 0)).toBe("1 hora y 30 minutos");
    setLocale("ar");
    expect(t("duration-minutes", { minutes: 2 })).toBe("دقيقتان");
    expect(t("duration-minutes", { minutes: 5 })).toContain("دقائق");
    setLocale("hi");
    expect(t("duration-hours", { hours: 2 })).toBe("2 घंटे");
  });
});

describe("pseudo-locale", () => {
  it("accents, lengthens by 40 % and brackets the catalogue's text, never the values placed in it", () => {
    expect(pseudo("Start")).toMatch(/^\[Šţàŕţ ~+\]$/);
    expect(pseudo("Start").length).toBeGreaterThanOrEqual(Math.ceil("Start".length * 1.4));
    setLocale(PSEUDO);
    const text = t("join-found", { title: "Physics 101" });
    expect(text).toContain("Physics 101");
    expect(text.startsWith("[")).toBe(true);
  });
});
