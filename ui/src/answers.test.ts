import { describe, expect, it } from "vitest";
import type { Question } from "./api";
import {
  charCounterText,
  countWords,
  isAnswered,
  overLimitText,
  restoreAll,
  restoreAnswer,
  sameAnswer,
  toggleChoice,
  wordCounterText,
} from "./answers";

const single: Question = { id: "s", kind: "single_choice", prompt: "p", points: 1, choices: ["a", "b", "c"] };
const multi: Question = { id: "m", kind: "multiple_choice", prompt: "p", points: 1, choices: ["a", "b", "c", "d"] };
const short: Question = { id: "t", kind: "short_text", prompt: "p", points: 1, max_chars: 10 };
const essay: Question = { id: "e", kind: "essay", prompt: "p", points: 1, max_words: 5 };

describe("answer encoding", () => {
  it("single choice is the choice index", () => {
    expect(restoreAnswer(single, 2)).toBe(2);
    expect(restoreAnswer(single, 3)).toBeUndefined();
    expect(restoreAnswer(single, -1)).toBeUndefined();
    expect(restoreAnswer(single, 1.5)).toBeUndefined();
    expect(restoreAnswer(single, "1")).toBeUndefined();
  });

  it("multiple choice is sorted unique indices", () => {
    expect(restoreAnswer(multi, [3, 0, 3])).toEqual([0, 3]);
    expect(restoreAnswer(multi, [])).toEqual([]);
    expect(restoreAnswer(multi, [5])).toBeUndefined();
    expect(restoreAnswer(multi, 1)).toBeUndefined();
    expect(toggleChoice(undefined, 2, true)).toEqual([2]);
    expect(toggleChoice([2], 0, true)).toEqual([0, 2]);
    expect(toggleChoice([0, 2, 3], 2, false)).toEqual([0, 3]);
    expect(toggleChoice([1], 1, true)).toEqual([1]);
  });

  it("text answers are kept exactly as typed", () => {
    expect(restoreAnswer(short, "  Jaipur ")).toBe("  Jaipur ");
    expect(restoreAnswer(essay, "line one\nline two")).toBe("line one\nline two");
    expect(restoreAnswer(essay, 3)).toBeUndefined();
  });

  it("restores saved answers per question and drops ones that do not fit", () => {
    const m = restoreAll([single, multi, short, essay], { s: 1, m: [2, 1], t: "x", e: ["bad"], other: 1 });
    expect(m.get("s")).toBe(1);
    expect(m.get("m")).toEqual([1, 2]);
    expect(m.get("t")).toBe("x");
    expect(m.has("e")).toBe(false);
    expect(m.has("other")).toBe(false);
    expect(restoreAll([single], null).size).toBe(0);
  });

  it("knows what counts as answered", () => {
    expect(isAnswered(undefined)).toBe(false);
    expect(isAnswered(0)).toBe(true);
    expect(isAnswered([])).toBe(false);
    expect(isAnswered([1])).toBe(true);
    expect(isAnswered("   ")).toBe(false);
    expect(isAnswered("x")).toBe(true);
  });

  it("compares answers by value", () => {
    expect(sameAnswer([1, 2], [1, 2])).toBe(true);
    expect(sameAnswer([1, 2], [1])).toBe(false);
    expect(sameAnswer("a", "a")).toBe(true);
    expect(sameAnswer(1, "1" as never)).toBe(false);
  });
});

describe("counters", () => {
  it("counts words", () => {
    expect(countWords("")).toBe(0);
    expect(countWords("   ")).toBe(0);
    expect(countWords("one two\nthree\t four ")).toBe(4);
  });

  it("words and limit notes never cut the text, only say so", () => {
    expect(wordCounterText(1)).toBe("1 word");
    expect(wordCounterText(3, 5)).toBe("3 of 5 words");
    expect(overLimitText(5, 5)).toBeNull();
    expect(overLimitText(7, 5)).toMatch(/2 words over the limit of 5/);
    expect(overLimitText(7, 5)).toMatch(/Your text is kept/);
  });

  it("characters", () => {
    expect(charCounterText(3, 10)).toBe("3 of 10 characters");
    expect(charCounterText(10, 10)).toMatch(/limit reached/);
    expect(charCounterText(1)).toBe("1 character");
  });
});
