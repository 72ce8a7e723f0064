import { describe, expect, it, vi } from "vitest";
import { createMockApi } from "./mock";
import { startApp } from "./app";
import { installDevtoolsGuard, isDevtoolsKey } from "./guard";
import { flush, key } from "./test/helpers";

describe("devtools guard", () => {
  it("recognises the devtools shortcuts only", () => {
    const k = (init: KeyboardEventInit) => new KeyboardEvent("keydown", init);
    expect(isDevtoolsKey(k({ key: "F12" }))).toBe(true);
    expect(isDevtoolsKey(k({ key: "I", ctrlKey: true, shiftKey: true }))).toBe(true);
    expect(isDevtoolsKey(k({ key: "J", code: "KeyJ", ctrlKey: true, shiftKey: true }))).toBe(true);
    expect(isDevtoolsKey(k({ key: "C", ctrlKey: true, shiftKey: true }))).toBe(true);
    expect(isDevtoolsKey(k({ key: "K", ctrlKey: true, shiftKey: true }))).toBe(true);
    expect(isDevtoolsKey(k({ key: "u", ctrlKey: true }))).toBe(true);
    expect(isDevtoolsKey(k({ key: "c", ctrlKey: true }))).toBe(false); // copy
    expect(isDevtoolsKey(k({ key: "v", ctrlKey: true }))).toBe(false); // paste
    expect(isDevtoolsKey(k({ key: "i" }))).toBe(false);
    expect(isDevtoolsKey(k({ key: "Tab" }))).toBe(false);
  });

  it("blocks with preventDefault in the capture phase and reports", () => {
    const report = vi.fn();
    const remove = installDevtoolsGuard(window, report);
    const input = document.createElement("input");
    document.body.append(input);
    const bubbling = vi.fn();
    input.addEventListener("keydown", bubbling);

    const ev = key(input, { key: "F12" });
    expect(ev.defaultPrevented).toBe(true);
    expect(bubbling).not.toHaveBeenCalled();
    expect(key(input, { key: "I", ctrlKey: true, shiftKey: true }).defaultPrevented).toBe(true);
    expect(key(input, { key: "U", ctrlKey: true }).defaultPrevented).toBe(true);
    expect(report).toHaveBeenCalledTimes(3);

    // Held keys repeat: blocked, but reported once.
    expect(key(input, { key: "F12", repeat: true }).defaultPrevented).toBe(true);
    expect(report).toHaveBeenCalledTimes(3);

    // A right-click: no menu, and nothing reported (it is not an attempt).
    const menu = new MouseEvent("contextmenu", { bubbles: true, cancelable: true });
    input.dispatchEvent(menu);
    expect(menu.defaultPrevented).toBe(true);
    expect(report).toHaveBeenCalledTimes(3);

    // Ordinary typing is untouched.
    expect(key(input, { key: "a" }).defaultPrevented).toBe(false);
    expect(report).toHaveBeenCalledTimes(3);
    remove();
    expect(key(input, { key: "F12" }).defaultPrevented).toBe(false);
  });

  it("the app reports attempts to the engine as devtools_attempt", async () => {
    const api = createMockApi();
    const mountEl = document.createElement("div");
    document.body.append(mountEl);
    const app = startApp(mountEl, api);
    await app.ready;
    key(document.body, { key: "F12" });
    key(document.body, { key: "j", ctrlKey: true, shiftKey: true });
    await flush();
    expect(api.callsOf("report_window_event")).toEqual([
      { name: "report_window_event", args: { kind: "devtools_attempt" } },
      { name: "report_window_event", args: { kind: "devtools_attempt" } },
    ]);
    app.destroy();
  });
});
