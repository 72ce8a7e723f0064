import { afterEach, describe, expect, it, vi } from "vitest";
import { createMockApi } from "../mock";
import type { Screen } from "../context";
import { $, flush, makeCtx, mount, last } from "../test/helpers";
import { createCheckScreen, meterValue } from "./check";

let screen: Screen | null = null;
afterEach(() => {
  screen?.destroy?.();
  screen = null;
});

describe("system check screen", () => {
  it("lists each item with status word, icon, detail and fix", async () => {
    const api = createMockApi();
    const ctx = makeCtx(api);
    screen = mount(createCheckScreen(ctx, { name: "check", mode: "new" }));
    expect($("#check-items").getAttribute("aria-busy")).toBe("true");
    await flush();
    expect($("#check-items").getAttribute("aria-busy")).toBe("false");
    const items = Array.from(document.querySelectorAll<HTMLLIElement>("#check-items li"));
    expect(items.map((li) => [li.dataset.checkId, li.dataset.status])).toEqual([
      ["display", "ok"],
      ["camera", "ok"],
      ["network", "warning"],
    ]);
    const net = $('[data-check-id="network"]');
    expect(net.querySelector(".check-status")?.textContent).toBe("Check this");
    expect(net.querySelector(".check-icon")?.getAttribute("aria-hidden")).toBe("true");
    expect(net.querySelector(".check-fix")?.textContent).toMatch(/^How to fix: /);
    expect($('[data-check-id="camera"]').querySelector(".check-fix")).toBeNull();
    expect(($("#check-continue") as HTMLButtonElement).disabled).toBe(false);
    expect($("#check-blocked").hidden).toBe(true);

    $("#check-continue").click();
    expect(ctx.routes).toEqual([{ name: "consent" }]);
  });

  it("keeps Continue disabled with an explanation while an item is blocking", async () => {
    const api = createMockApi({ blocking: true });
    const ctx = makeCtx(api);
    screen = mount(createCheckScreen(ctx, { name: "check", mode: "new" }));
    await flush();
    const cont = $("#check-continue") as HTMLButtonElement;
    expect($('[data-check-id="screen_share"]').dataset.status).toBe("blocking");
    expect($('[data-check-id="screen_share"] .check-status').textContent).toBe("Needs action");
    expect(cont.disabled).toBe(true);
    expect(cont.getAttribute("aria-describedby")).toBe("check-blocked");
    expect($("#check-blocked").hidden).toBe(false);
    expect($("#check-blocked").textContent).toMatch(/Needs action/);
    cont.click();
    expect(ctx.routes).toEqual([]);

    api.fixBlocking();
    $("#recheck").click();
    expect(cont.disabled).toBe(true); // busy while checking
    await flush();
    expect(api.callsOf("run_system_check")).toHaveLength(2);
    expect(cont.disabled).toBe(false);
    expect($("#check-blocked").hidden).toBe(true);
  });

  it("shows a failed check next to the action and allows another try", async () => {
    const api = createMockApi();
    api.failNext("run_system_check", "The check could not run. Please try again.");
    screen = mount(createCheckScreen(makeCtx(api), { name: "check", mode: "new" }));
    await flush();
    expect($("#check-error").textContent).toBe("The check could not run. Please try again.");
    expect($("#check-error").getAttribute("role")).toBe("alert");
    expect(($("#check-continue") as HTMLButtonElement).disabled).toBe(true);
    $("#recheck").click();
    await flush();
    expect($("#check-error").hidden).toBe(true);
    expect(($("#check-continue") as HTMLButtonElement).disabled).toBe(false);
  });

  it("polls camera (~1 s) and microphone (~250 ms) and stops when leaving", async () => {
    vi.useFakeTimers();
    const api = createMockApi();
    screen = mount(createCheckScreen(makeCtx(api), { name: "check", mode: "new" }));
    await vi.advanceTimersByTimeAsync(3000);
    const cams = api.callsOf("camera_preview").length;
    const mics = api.callsOf("microphone_level").length;
    expect(cams).toBeGreaterThanOrEqual(3);
    expect(cams).toBeLessThanOrEqual(4);
    expect(mics).toBeGreaterThanOrEqual(11);
    expect($("#camera-preview").getAttribute("aria-label")).toBe("Your camera picture");
    expect($("#camera-message").textContent).toBe("Your face is clearly visible.");
    const meter = $("#mic-level") as HTMLMeterElement;
    expect(meter.getAttribute("min")).toBe("-60");
    expect(meter.getAttribute("max")).toBe("0");
    expect(document.querySelector('label[for="mic-level"]')?.textContent).toBe("Microphone level");

    screen.destroy?.();
    screen = null;
    await vi.advanceTimersByTimeAsync(5000);
    expect(api.callsOf("camera_preview").length).toBe(cams);
    expect(api.callsOf("microphone_level").length).toBe(mics);
  });

  it("clamps the microphone level to the meter range", () => {
    expect(meterValue(-100)).toBe(-60);
    expect(meterValue(-20)).toBe(-20);
    expect(meterValue(3)).toBe(0);
    expect(meterValue(Number.NaN)).toBe(-60);
  });

  it("on resume, Continue starts the exam with the proctor code (no consent again)", async () => {
    const api = createMockApi({ phase: "resume", needsProctorCode: true, proctorCode: "PROC-1234" });
    const ls = await api.launchState();
    const ctx = makeCtx(api, { launch: ls, exam: ls.exam, proctorCode: "PROC-1234" });
    screen = mount(createCheckScreen(ctx, { name: "check", mode: "resume" }));
    await flush();
    $("#check-continue").click();
    await flush();
    expect(api.callsOf("start_exam").map((c) => c.args)).toEqual([{ agree: true, proctorCode: "PROC-1234" }]);
    expect(last(ctx.routes)?.name).toBe("exam");
  });

  it("on resume with a wrong proctor code, goes back to the resume screen keeping the code", async () => {
    const api = createMockApi({ phase: "resume", needsProctorCode: true, proctorCode: "PROC-1234" });
    const ls = await api.launchState();
    const ctx = makeCtx(api, { launch: ls, exam: ls.exam, proctorCode: "WRONG" });
    screen = mount(createCheckScreen(ctx, { name: "check", mode: "resume" }));
    await flush();
    $("#check-continue").click();
    await flush();
    expect(last(ctx.routes)).toEqual({
      name: "resume",
      error: "That proctor code did not match. Please ask your proctor again.",
      code: "WRONG",
    });
  });
});
