import { describe, expect, it } from "vitest";
import { CONTRAST_KEY, createContrastToggle } from "./contrast";

describe("high-contrast toggle", () => {
  it("adds the class on <html>, sets aria-pressed and remembers it", () => {
    const b = createContrastToggle();
    document.body.append(b);
    expect(b.id).toBe("contrast-toggle");
    expect(b.getAttribute("aria-pressed")).toBe("false");
    b.click();
    expect(document.documentElement.classList.contains("high-contrast")).toBe(true);
    expect(b.getAttribute("aria-pressed")).toBe("true");
    expect(localStorage.getItem(CONTRAST_KEY)).toBe("1");

    // A fresh start (new page) restores it.
    document.documentElement.classList.remove("high-contrast");
    const again = createContrastToggle();
    expect(document.documentElement.classList.contains("high-contrast")).toBe(true);
    expect(again.getAttribute("aria-pressed")).toBe("true");

    again.click();
    expect(document.documentElement.classList.contains("high-contrast")).toBe(false);
    expect(localStorage.getItem(CONTRAST_KEY)).toBe("0");
  });
});
