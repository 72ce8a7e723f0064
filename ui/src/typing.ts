// How each answer is typed: the gaps between key presses that type a
// character, and the texts that arrive in one go. Sent with the autosave;
// the engine judges them (typing no person types is a note for the
// reviewer, never a penalty). Only timings and lengths leave the page:
// which keys were pressed is already in the answer itself.

import type { TypingSample } from "./api";

/** At most this many gaps wait for one save (a day of typing is fewer). */
const MAX_PENDING = 100_000;

interface Meter {
  intervals_ms: number[];
  inserted: number[];
  /** When the last character was typed (performance.now()). */
  last?: number;
}

export class TypingMeter {
  private readonly answers = new Map<string, Meter>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** An `input` event in the answer to `question`. */
  input(question: string, e: Pick<InputEvent, "inputType" | "data">): void {
    let m = this.answers.get(question);
    if (!m) {
      m = { intervals_ms: [], inserted: [] };
      this.answers.set(question, m);
    }
    const length = [...(e.data ?? "")].length;
    const typedOne = (e.inputType === "insertText" && length === 1) || e.inputType === "insertLineBreak";
    if (typedOne) {
      const t = this.now();
      if (m.last !== undefined && m.intervals_ms.length < MAX_PENDING) {
        m.intervals_ms.push(Math.max(0, Math.round(t - m.last)));
      }
      m.last = t;
    } else if (e.inputType.startsWith("insert") && length > 1) {
      m.inserted.push(length);
    }
  }

  /** What was measured in `question` since the last take (none: undefined). */
  take(question: string): TypingSample | undefined {
    const m = this.answers.get(question);
    if (!m || (m.intervals_ms.length === 0 && m.inserted.length === 0)) return undefined;
    const sample = { intervals_ms: m.intervals_ms, inserted: m.inserted };
    m.intervals_ms = [];
    m.inserted = [];
    return sample;
  }

  /** A save that failed: its sample goes with the next one. */
  giveBack(question: string, sample: TypingSample): void {
    const m = this.answers.get(question);
    if (!m) return;
    m.intervals_ms = [...sample.intervals_ms, ...m.intervals_ms].slice(0, MAX_PENDING);
    m.inserted = [...sample.inserted, ...m.inserted];
  }
}
