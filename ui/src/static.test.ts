// Guards for the CSP and XSS rules, checked on the source text itself.
import { describe, expect, it } from "vitest";
import indexHtml from "../index.html?raw";

const sources = import.meta.glob<string>(["./**/*.ts", "!./**/*.test.ts", "!./test/**"], {
  query: "?raw",
  import: "default",
  eager: true,
});

describe("CSP and XSS rules", () => {
  const files = Object.entries(sources);

  it("finds the sources", () => {
    expect(files.length).toBeGreaterThan(10);
    expect(Object.keys(sources)).toContain("./screens/exam.ts");
  });

  it.each(files)("%s does not parse HTML, eval, or set inline styles", (_name, source) => {
    const text = source
      // the DOM helper names these only to refuse them
      .replace(/if \(name === "innerHTML" \|\| name === "outerHTML"\)/, "");
    expect(text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser/);
    expect(text).not.toMatch(/\beval\s*\(|new Function\s*\(/);
    expect(text).not.toMatch(/setAttribute\(\s*["']style["']/);
    expect(text).not.toMatch(/style=\\?["']/);
  });

  it("index.html has no inline script, style or handlers", () => {
    expect(indexHtml).toMatch(/<script type="module" src="\/src\/main.ts"><\/script>/);
    expect(indexHtml).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(indexHtml).not.toMatch(/<style/i);
    expect(indexHtml).not.toMatch(/\sstyle=/i);
    expect(indexHtml).not.toMatch(/\son[a-z]+=/i);
  });
});

describe("the mock stays out of the app", () => {
  it("is loaded only by a development build, never imported by the app's modules", () => {
    for (const [name, source] of Object.entries(sources)) {
      if (name === "./mock.ts") continue;
      // A static import would put the fake into the production bundle.
      expect(source, name).not.toMatch(/^import[^;]*from\s+["']\.\.?\/mock["']/m);
    }
    const main = sources["./main.ts"];
    expect(main).toMatch(/import\.meta\.env\.DEV\)\s*\{\s*void import\("\.\/mock"\)/);
  });
});
