// Autosave with debounce and retry. The latest value per question stays in
// `pending` until the engine confirms it, so a failed save never loses text.

import { errorText, type Answer } from "./api";
import { sameAnswer } from "./answers";
import { formatTime, t } from "./i18n";

export type SaveState =
  | { state: "idle" }
  | { state: "saving" }
  | { state: "saved"; at: Date }
  | { state: "retrying"; message: string };

export interface AutosaveOptions {
  /** Quiet time after typing before a text answer is saved. */
  debounceMs?: number;
  /** Waits between retries after failures (the last one repeats). */
  retryDelaysMs?: number[];
  now?: () => Date;
}

interface Pending {
  value: Answer;
  /** Ready to be sent (debounce elapsed, or immediate). */
  due: boolean;
}

export class Autosaver {
  private readonly pending = new Map<string, Pending>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private loop: Promise<void> | null = null;
  private failures = 0;
  private stopped = false;
  private readonly debounceMs: number;
  private readonly retryDelaysMs: number[];
  private readonly now: () => Date;

  constructor(
    private readonly save: (question: string, answer: Answer) => Promise<unknown>,
    private readonly onState: (s: SaveState) => void,
    opts: AutosaveOptions = {},
  ) {
    this.debounceMs = opts.debounceMs ?? 600;
    this.retryDelaysMs = opts.retryDelaysMs ?? [1000, 2000, 4000, 8000, 15000];
    this.now = opts.now ?? (() => new Date());
  }

  /** Choices: saved at once. */
  saveNow(question: string, value: Answer): void {
    this.clearTimer(question);
    this.pending.set(question, { value, due: true });
    void this.kick();
  }

  /** Text: saved once typing has stopped for debounceMs. */
  saveLater(question: string, value: Answer): void {
    this.clearTimer(question);
    this.pending.set(question, { value, due: false });
    this.timers.set(
      question,
      setTimeout(() => {
        this.timers.delete(question);
        this.markDue(question);
        void this.kick();
      }, this.debounceMs),
    );
  }

  /** Blur / navigation: stop waiting for the debounce of this question. */
  commit(question: string): void {
    if (!this.pending.has(question)) return;
    this.clearTimer(question);
    this.markDue(question);
    void this.kick();
  }

  hasUnsaved(): boolean {
    return this.pending.size > 0;
  }

  unsavedValue(question: string): Answer | undefined {
    return this.pending.get(question)?.value;
  }

  /**
   * Sends everything now (no debounce, retry at once) and resolves true when
   * every answer is confirmed, false if a save failed (retries continue).
   */
  async flush(): Promise<boolean> {
    for (const q of Array.from(this.timers.keys())) this.clearTimer(q);
    for (const q of this.pending.keys()) this.markDue(q);
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    // A loop already running may have started before these became due.
    if (this.loop) await this.loop;
    await this.kick();
    return this.pending.size === 0;
  }

  /** Stops timers (leaving the screen). Unsaved values stay readable. */
  stop(): void {
    this.stopped = true;
    for (const q of Array.from(this.timers.keys())) this.clearTimer(q);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private markDue(question: string): void {
    const p = this.pending.get(question);
    if (p) p.due = true;
  }

  private clearTimer(question: string): void {
    const t = this.timers.get(question);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(question);
  }

  private nextDue(): [string, Answer] | null {
    for (const [q, p] of this.pending) if (p.due) return [q, p.value];
    return null;
  }

  private kick(): Promise<void> {
    if (this.loop) return this.loop;
    if (this.retryTimer !== null) return Promise.resolve(); // wait for the retry
    this.loop = this.run().finally(() => {
      this.loop = null;
    });
    return this.loop;
  }

  private async run(): Promise<void> {
    let sent = false;
    for (;;) {
      const next = this.nextDue();
      if (!next) break;
      const [question, value] = next;
      this.onState({ state: "saving" });
      try {
        await this.save(question, value);
      } catch (err) {
        this.failures += 1;
        this.onState({ state: "retrying", message: errorText(err) });
        this.scheduleRetry();
        return;
      }
      sent = true;
      this.failures = 0;
      const cur = this.pending.get(question);
      // Only forget the value if nothing newer was typed while saving.
      if (cur && sameAnswer(cur.value, value)) this.pending.delete(question);
    }
    if (sent) this.onState({ state: "saved", at: this.now() });
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const i = Math.min(this.failures - 1, this.retryDelaysMs.length - 1);
    const delay = this.retryDelaysMs[Math.max(0, i)] ?? 1000;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      for (const q of this.pending.keys()) this.markDue(q);
      void this.kick();
    }, delay);
  }
}

export function saveStatusText(s: SaveState, formatTime: (d: Date) => string = shortTime): string {
  switch (s.state) {
    case "idle":
      return "";
    case "saving":
      return t("save-saving");
    case "saved":
      return t("save-saved", { time: formatTime(s.at) });
    case "retrying":
      return t("save-retrying");
  }
}

export function shortTime(d: Date): string {
  return formatTime(d);
}
