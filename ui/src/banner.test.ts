import { describe, expect, it, vi } from "vitest";
import { createMockApi } from "./mock";
import { startApp } from "./app";
import { Banner } from "./banner";
import { $, flush } from "./test/helpers";

describe("warning banner", () => {
  it("shows the text exactly as given, as text", () => {
    const b = new Banner();
    document.body.append(b.root);
    b.show("Please keep this window in front. <b>bold</b>");
    expect($("#warning").getAttribute("aria-live")).toBe("polite");
    expect($("#warning-text").textContent).toBe("Please keep this window in front. <b>bold</b>");
    expect($("#warning").querySelector("b")).toBeNull();
    expect(b.visible).toBe(true);
  });

  it("can be dismissed", () => {
    const b = new Banner();
    document.body.append(b.root);
    b.show("Hello");
    $("#warning-dismiss").click();
    expect(b.visible).toBe(false);
    expect(b.message).toBe("");
  });

  it("hides itself after about 15 seconds, restarting for a new warning", () => {
    vi.useFakeTimers();
    const b = new Banner();
    document.body.append(b.root);
    b.show("One");
    vi.advanceTimersByTime(10_000);
    b.show("Two");
    vi.advanceTimersByTime(10_000);
    expect(b.visible).toBe(true);
    expect(b.message).toBe("Two");
    vi.advanceTimersByTime(5_000);
    expect(b.visible).toBe(false);
  });

  it("shows engine warnings and lockdown events from the app", async () => {
    const api = createMockApi();
    const el = document.createElement("div");
    document.body.append(el);
    const app = startApp(el, api);
    await app.ready;
    api.emit("engine", { event: "warning", kind: "face_missing", text: "We can't see your face right now.", severity: "low" });
    expect($("#warning-text").textContent).toBe("We can't see your face right now.");
    api.emit("lockdown", { kind: "focus_lost", text: "The exam window lost focus. Please come back to it." });
    expect($("#warning-text").textContent).toBe("The exam window lost focus. Please come back to it.");
    await flush();
    app.destroy();
  });
});
