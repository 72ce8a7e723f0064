// Answer encoding per question kind. Pure functions, no DOM.
//   single_choice   → number (choice index)
//   multiple_choice → number[] (sorted, unique indices)
//   short_text/essay → string (exactly as typed)

import { t } from "./i18n";
import type { Answer, Question } from "./api";

function validIndex(q: Question, i: unknown): i is number {
  const n = q.choices?.length ?? 0;
  return typeof i === "number" && Number.isInteger(i) && i >= 0 && i < n;
}

/** Sorted unique indices. */
export function sortedIndices(indices: Iterable<number>): number[] {
  return Array.from(new Set(indices)).sort((a, b) => a - b);
}

/** Adds or removes a choice in a multiple-choice answer. */
export function toggleChoice(current: Answer | undefined, index: number, checked: boolean): number[] {
  const set = new Set(Array.isArray(current) ? current : []);
  if (checked) set.add(index);
  else set.delete(index);
  return sortedIndices(set);
}

/**
 * Checks a saved answer against its question and returns it in canonical
 * form, or undefined if it does not fit (wrong type, out-of-range index).
 */
export function restoreAnswer(q: Question, raw: unknown): Answer | undefined {
  switch (q.kind) {
    case "single_choice":
      return validIndex(q, raw) ? raw : undefined;
    case "multiple_choice":
      if (!Array.isArray(raw)) return undefined;
      if (!raw.every((i) => validIndex(q, i))) return undefined;
      return sortedIndices(raw as number[]);
    case "short_text":
    case "essay":
      return typeof raw === "string" ? raw : undefined;
    default:
      return undefined;
  }
}

/** Restores every saved answer that fits its question; others are dropped. */
export function restoreAll(questions: Question[], saved: Record<string, unknown> | null | undefined): Map<string, Answer> {
  const out = new Map<string, Answer>();
  if (!saved) return out;
  for (const q of questions) {
    if (!Object.prototype.hasOwnProperty.call(saved, q.id)) continue;
    const a = restoreAnswer(q, saved[q.id]);
    if (a !== undefined) out.set(q.id, a);
  }
  return out;
}

export function isAnswered(a: Answer | undefined): boolean {
  if (a === undefined) return false;
  if (typeof a === "number") return true;
  if (Array.isArray(a)) return a.length > 0;
  return a.trim().length > 0;
}

export function sameAnswer(a: Answer | undefined, b: Answer | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

export function countWords(text: string): number {
  const t = text.trim();
  return t === "" ? 0 : t.split(/\s+/u).length;
}

/** Characters as the input's maxlength counts them (UTF-16 code units). */
export function countChars(text: string): number {
  return text.length;
}

export function wordCounterText(words: number, max?: number): string {
  if (!max) return t("exam-words", { words });
  return t("exam-words-of", { words, max });
}

/** Calm note for an essay over its word limit (the text is never cut). */
export function overLimitText(words: number, max: number): string | null {
  if (!max || words <= max) return null;
  return t("exam-words-over", { over: words - max, max });
}

export function charCounterText(chars: number, max?: number): string {
  if (!max) return t("exam-chars", { chars });
  if (chars >= max) return t("exam-chars-limit", { chars, max });
  return t("exam-chars-of", { chars, max });
}
