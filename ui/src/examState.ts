// Exam runner state without DOM: answers, flags, the current question.

import { t } from "./i18n";
import type { Answer, ExamPaper, Question } from "./api";
import { isAnswered, restoreAll } from "./answers";

export function flagsKey(sessionId: string): string {
  return `paraakh.flags.${sessionId}`;
}

function safeSessionStorage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export interface QuestionSummary {
  question: Question;
  number: number;
  answered: boolean;
  flagged: boolean;
}

export class ExamState {
  readonly questions: Question[];
  readonly answers: Map<string, Answer>;
  readonly flags: Set<string>;
  current = 0;

  constructor(
    readonly paper: ExamPaper,
    private readonly storage: Storage | null = safeSessionStorage(),
  ) {
    this.questions = paper.questions;
    this.answers = restoreAll(paper.questions, paper.answers);
    this.flags = this.loadFlags();
  }

  get question(): Question {
    return this.questions[this.current] as Question;
  }

  indexOf(id: string): number {
    return this.questions.findIndex((q) => q.id === id);
  }

  goTo(index: number): boolean {
    if (index < 0 || index >= this.questions.length || index === this.current) return false;
    this.current = index;
    return true;
  }

  next(): boolean {
    return this.goTo(this.current + 1);
  }

  prev(): boolean {
    return this.goTo(this.current - 1);
  }

  setAnswer(id: string, a: Answer): void {
    this.answers.set(id, a);
  }

  isAnswered(id: string): boolean {
    return isAnswered(this.answers.get(id));
  }

  isFlagged(id: string): boolean {
    return this.flags.has(id);
  }

  toggleFlag(id: string): boolean {
    if (this.flags.has(id)) this.flags.delete(id);
    else this.flags.add(id);
    this.saveFlags();
    return this.flags.has(id);
  }

  summaries(): QuestionSummary[] {
    return this.questions.map((q, i) => ({
      question: q,
      number: i + 1,
      answered: this.isAnswered(q.id),
      flagged: this.isFlagged(q.id),
    }));
  }

  unanswered(): QuestionSummary[] {
    return this.summaries().filter((s) => !s.answered);
  }

  flagged(): QuestionSummary[] {
    return this.summaries().filter((s) => s.flagged);
  }

  answeredCount(): number {
    return this.summaries().filter((s) => s.answered).length;
  }

  private loadFlags(): Set<string> {
    const ids = new Set(this.questions.map((q) => q.id));
    try {
      const raw = this.storage?.getItem(flagsKey(this.paper.session_id));
      const list: unknown = raw ? JSON.parse(raw) : [];
      if (Array.isArray(list)) return new Set(list.filter((x): x is string => typeof x === "string" && ids.has(x)));
    } catch {
      /* ignore broken storage */
    }
    return new Set();
  }

  private saveFlags(): void {
    try {
      this.storage?.setItem(flagsKey(this.paper.session_id), JSON.stringify(Array.from(this.flags)));
    } catch {
      /* the flags still work for this page */
    }
  }
}

/** "Question 2, answered, flagged for review" */
export function navLabel(s: QuestionSummary): string {
  const id = `exam-nav-${s.answered ? "answered" : "not-answered"}${s.flagged ? "-flagged" : ""}`;
  return t(id, { number: s.number });
}
