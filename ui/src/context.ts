// Shared types for the router and the screens.

import type { Api, EngineEvent, ExamPaper, ExamSummary, LaunchState, SubmitReceipt } from "./api";
import type { Banner } from "./banner";
import { h, type Child } from "./dom";

export type Route =
  | { name: "join" }
  | { name: "resume"; error?: string; code?: string }
  | { name: "check"; mode: "new" | "resume" }
  | { name: "consent" }
  | { name: "declined" }
  | { name: "exam"; paper: ExamPaper }
  | { name: "receipt"; receipt: SubmitReceipt; timeUp?: boolean; endedReason?: string }
  | { name: "trouble"; message: string };

export interface Screen {
  /** The screen root: has the screen id, an <h1>, tabindex=-1. */
  root: HTMLElement;
  /** document.title while the screen shows. */
  title: string;
  /** Stop timers and polling. */
  destroy?(): void;
  onEngine?(e: EngineEvent): void;
  onJoinLink?(link: string): void;
}

export interface AppState {
  launch: LaunchState | null;
  exam: ExamSummary | null;
  /** The proctor code typed on the resume screen, used by start_exam after the check. */
  proctorCode?: string;
}

export interface Ctx {
  api: Api;
  banner: Banner;
  state: AppState;
  go(route: Route): void;
}

export const APP_NAME = "Paraakh Secure Exam";

/** A screen root: <section id=... tabindex=-1 aria-labelledby=h1> with an <h1>. */
export function screenRoot(id: string, heading: string, ...children: (Child | Child[])[]): HTMLElement {
  const headingId = `${id}-heading`;
  return h(
    "section",
    { id, class: "screen", tabindex: "-1", "data-screen": id, "aria-labelledby": headingId },
    h("h1", { id: headingId }, heading),
    ...children,
  );
}

/** An error line next to an action. role="alert" so it is read out at once. */
export function errorLine(id: string): HTMLElement {
  return h("p", { id, class: "error", role: "alert" });
}

export function showError(el: HTMLElement, message: string | null): void {
  el.textContent = message ?? "";
  el.hidden = !message;
}

// Dates and times as the candidate's language writes them.
export { formatDateTime, formatTime } from "./i18n";
