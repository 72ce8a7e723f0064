import { describe, expect, it } from "vitest";
import { TypingMeter } from "./typing";

function meter() {
  let t = 0;
  const m = new TypingMeter(() => t);
  return {
    m,
    type(question: string, text: string, gapMs: number) {
      for (const ch of text) {
        t += gapMs;
        m.input(question, { inputType: ch === "\n" ? "insertLineBreak" : "insertText", data: ch === "\n" ? null : ch });
      }
    },
  };
}

describe("TypingMeter", () => {
  it("measures the gaps between typed characters per answer", () => {
    const { m, type } = meter();
    type("q1", "abc", 200);
    type("q2", "xy", 5);
    type("q1", "d\n", 150);
    // The 10 ms spent typing in q2 are part of q1's next gap.
    expect(m.take("q1")).toEqual({ intervals_ms: [200, 200, 160, 150], inserted: [] });
    expect(m.take("q2")).toEqual({ intervals_ms: [5], inserted: [] });
    expect(m.take("q1")).toBeUndefined();
  });

  it("counts a text that arrived in one go, not its keys", () => {
    const { m } = meter();
    m.input("q1", { inputType: "insertText", data: "a whole sentence at once" });
    m.input("q1", { inputType: "insertReplacementText", data: "spelling" });
    m.input("q1", { inputType: "deleteContentBackward", data: null });
    expect(m.take("q1")).toEqual({ intervals_ms: [], inserted: [24, 8] });
  });

  it("keeps the gap across a save and gives a failed save's sample back", () => {
    const { m, type } = meter();
    type("q1", "ab", 100);
    const first = m.take("q1");
    expect(first).toEqual({ intervals_ms: [100], inserted: [] });
    type("q1", "c", 300);
    m.giveBack("q1", first!);
    expect(m.take("q1")).toEqual({ intervals_ms: [100, 300], inserted: [] });
  });
});
