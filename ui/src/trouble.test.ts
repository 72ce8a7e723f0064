import { afterEach, describe, expect, it, vi } from "vitest";
import { createMockApi, type MockApi } from "./mock";
import { startApp, type App } from "./app";
import { Banner } from "./banner";
import { $, flush } from "./test/helpers";
import { TroubleNotices, monitorName, troubleText } from "./trouble";

describe("trouble wording", () => {
  it("names each monitor the way a candidate would", () => {
    expect(troubleText(["camera"])).toBe(
      "Your camera isn't working right now — the exam goes on; please tell your proctor.",
    );
    expect(troubleText(["microphone"])).toMatch(/^Your microphone isn't working/);
    expect(troubleText(["screen"])).toMatch(/^The screen recording isn't working/);
    expect(troubleText(["processes"])).toMatch(/^The check for other programs isn't working/);
    expect(troubleText(["displays"])).toMatch(/^The check for other screens isn't working/);
    expect(troubleText(["detection"])).toMatch(/^The face and voice checks aren't working/);
    expect(troubleText(["face detection"])).toMatch(/^The face check isn't working/);
    expect(troubleText(["voice detection"])).toMatch(/^The voice check isn't working/);
    expect(troubleText(["flux capacitor"])).toMatch(/^One of the exam's checks isn't working/);
    expect(monitorName("constructor")).toBe("one of the exam's checks");
  });

  it("tells several together", () => {
    expect(troubleText(["camera", "microphone"])).toBe(
      "Your camera and your microphone aren't working right now — the exam goes on; please tell your proctor.",
    );
    expect(troubleText(["camera", "screen", "displays"])).toMatch(
      /^Your camera, the screen recording, and the check for other screens aren.t working/,
    );
    expect(troubleText([])).toBe("");
  });

  it("tells each monitor once per session, and a new session starts afresh", () => {
    const banner = new Banner();
    document.body.append(banner.root);
    const t = new TroubleNotices(banner);
    t.trouble("voice detection");
    expect(banner.message).toMatch(/^The voice check isn't working/);
    banner.hide();
    for (let i = 0; i < 50; i++) t.trouble("voice detection");
    expect(banner.visible).toBe(false);
    t.reset();
    t.trouble("voice detection");
    expect(banner.visible).toBe(true);
  });

  it("does not fold a trouble into another message the banner shows now", () => {
    const banner = new Banner();
    document.body.append(banner.root);
    const t = new TroubleNotices(banner);
    t.trouble("camera");
    banner.show("We can't see your face right now.", "low");
    t.trouble("screen");
    expect(banner.message).toMatch(/^The screen recording isn't working/);
  });
});

describe("trouble in the app", () => {
  let app: App | null = null;
  afterEach(() => {
    app?.destroy();
    app = null;
  });

  async function started(): Promise<MockApi> {
    const api = createMockApi();
    const el = document.createElement("div");
    document.body.append(el);
    app = startApp(el, api);
    await app.ready;
    return api;
  }

  it("shows device trouble calmly, without the engine's technical message", async () => {
    const api = await started();
    api.emit("engine", { event: "trouble", monitor: "camera", message: "nokhwa: VIDIOC_DQBUF failed (ENODEV)" });
    expect($("#warning-text").textContent).toBe(
      "Your camera isn't working right now — the exam goes on; please tell your proctor.",
    );
    expect($("#warning-text").textContent).not.toMatch(/nokhwa|ENODEV/);
    expect($("#warning .banner-box").dataset.severity).toBe("trouble");
    expect($("#warning").getAttribute("aria-live")).toBe("polite");
  });

  it("tells troubles at the start of a session together", async () => {
    const api = await started();
    api.emit("engine", { event: "started", session_id: "s", resumed: false, monitors: ["screen"] });
    api.emit("engine", { event: "trouble", monitor: "camera", message: "no camera found" });
    api.emit("engine", { event: "trouble", monitor: "microphone", message: "no input device" });
    expect($("#warning-text").textContent).toBe(
      "Your camera and your microphone aren't working right now — the exam goes on; please tell your proctor.",
    );
  });

  it("leaves answer trouble to the save status (the save_answer rejection)", async () => {
    const api = await started();
    api.emit("engine", { event: "trouble", monitor: "answers", message: "the answer was not saved: too long" });
    expect($("#warning-text").textContent).toBe("");
  });

  it("ignores malformed engine events calmly", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const api = await started();
    api.emitRaw("engine", { event: "trouble", text: "the old shape" });
    api.emitRaw("engine", { event: "warning", text: 42 });
    api.emitRaw("engine", null);
    api.emitRaw("engine", { event: "something_new", x: 1 });
    expect($("#warning-text").textContent).toBe("");
    expect(warn).toHaveBeenCalledTimes(4);
    // the next good event still shows
    api.emit("engine", { event: "warning", kind: "face_missing", text: "We can't see your face right now.", severity: "low" });
    expect($("#warning-text").textContent).toBe("We can't see your face right now.");
    await flush();
  });

  it("the mock refuses to emit an engine event the engine never sends", async () => {
    const api = await started();
    expect(() => api.emit("engine", { event: "trouble", text: "old" } as never)).toThrow(/missing field monitor/);
  });
});
