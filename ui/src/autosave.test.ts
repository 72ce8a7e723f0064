import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Answer } from "./api";
import { Autosaver, saveStatusText, type SaveState } from "./autosave";
import { flush, last } from "./test/helpers";

function setup(failures = 0) {
  const saved: [string, Answer][] = [];
  let fail = failures;
  const save = vi.fn(async (q: string, a: Answer) => {
    if (fail > 0) {
      fail -= 1;
      throw "The disk is busy.";
    }
    saved.push([q, a]);
    return { seq: saved.length };
  });
  const states: SaveState[] = [];
  const saver = new Autosaver(save, (s) => states.push(s), {
    debounceMs: 600,
    retryDelaysMs: [1000, 2000],
    now: () => new Date(2025, 0, 1, 14, 2),
  });
  return { saved, save, states, saver, failMore: (n: number) => (fail = n) };
}

describe("autosave", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("saves text 600 ms after typing stops, once, with the latest text", async () => {
    const { saver, save, saved, states } = setup();
    saver.saveLater("q3", "J");
    await vi.advanceTimersByTimeAsync(300);
    saver.saveLater("q3", "Ja");
    await vi.advanceTimersByTimeAsync(300);
    saver.saveLater("q3", "Jaipur");
    await vi.advanceTimersByTimeAsync(599);
    expect(save).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(saved).toEqual([["q3", "Jaipur"]]);
    expect(states.map((s) => s.state)).toEqual(["saving", "saved"]);
    expect(saveStatusText(states[1] as SaveState, () => "14:02")).toBe("Saved at 14:02");
    expect(saver.hasUnsaved()).toBe(false);
  });

  it("saves choices at once", async () => {
    const { saver, saved } = setup();
    saver.saveNow("q1", 1);
    await flush();
    expect(saved).toEqual([["q1", 1]]);
  });

  it("commit (blur / navigation) skips the wait", async () => {
    const { saver, saved } = setup();
    saver.saveLater("q4", "An essay");
    saver.commit("q4");
    await flush();
    expect(saved).toEqual([["q4", "An essay"]]);
  });

  it("retries after a failure and never loses the typed text", async () => {
    const { saver, saved, states, save } = setup(2);
    saver.saveLater("q4", "First draft");
    await vi.advanceTimersByTimeAsync(600);
    await flush();
    expect(last(states)).toEqual({ state: "retrying", message: "The disk is busy." });
    expect(saveStatusText(last(states) as SaveState)).toBe("Not saved yet — trying again");
    expect(saver.unsavedValue("q4")).toBe("First draft");

    // The candidate keeps typing while saving fails.
    saver.saveLater("q4", "First draft, longer");
    await vi.advanceTimersByTimeAsync(1000); // first retry (fails again)
    await flush();
    expect(save).toHaveBeenCalledTimes(2);
    expect(saver.unsavedValue("q4")).toBe("First draft, longer");
    await vi.advanceTimersByTimeAsync(2000); // second retry succeeds
    await flush();
    expect(saved).toEqual([["q4", "First draft, longer"]]);
    expect(last(states)?.state).toBe("saved");
    expect(saver.hasUnsaved()).toBe(false);
  });

  it("keeps a value typed while its save was in flight", async () => {
    let release: () => void = () => undefined;
    const calls: Answer[] = [];
    const saver = new Autosaver(
      (_q, a) => {
        calls.push(a);
        return calls.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
      () => undefined,
    );
    saver.saveNow("q2", [1]);
    await flush();
    saver.saveNow("q2", [1, 3]);
    release();
    await flush();
    expect(calls).toEqual([[1], [1, 3]]);
    expect(saver.hasUnsaved()).toBe(false);
  });

  it("flush sends pending text now and reports success", async () => {
    const { saver, saved } = setup();
    saver.saveLater("q3", "Jaipur");
    saver.saveLater("q4", "Essay");
    expect(await saver.flush()).toBe(true);
    expect(saved).toEqual([
      ["q3", "Jaipur"],
      ["q4", "Essay"],
    ]);
  });

  it("flush reports failure and keeps the text for a later retry", async () => {
    const { saver, saved } = setup(1);
    saver.saveLater("q3", "Jaipur");
    expect(await saver.flush()).toBe(false);
    expect(saver.unsavedValue("q3")).toBe("Jaipur");
    expect(await saver.flush()).toBe(true);
    expect(saved).toEqual([["q3", "Jaipur"]]);
  });
});
