// Time arithmetic and wording for the exam timer. Pure functions, no DOM.

import { t } from "./i18n";

/** Seconds left, rounded up so "0:00" only shows when time is really up. */
export function secondsLeft(endsAtMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((endsAtMs - nowMs) / 1000));
}

/** 29:41, 1:05:09 — minutes always shown with two digits past an hour. */
export function formatClock(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const ss = String(seconds).padStart(2, "0");
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, "0")}:${ss}`;
  return `${String(minutes).padStart(2, "0")}:${ss}`;
}

export function timerText(totalSeconds: number): string {
  return t("timer-left", { clock: formatClock(totalSeconds) });
}

/** Total minutes including extra time (rounded to the nearest minute). */
export function withExtraTime(durationMinutes: number, extraPercent: number): number {
  const extra = Number.isFinite(extraPercent) && extraPercent > 0 ? extraPercent : 0;
  return Math.round(durationMinutes * (1 + extra / 100));
}

/** "1 hour 30 minutes", "45 minutes", "1 minute". */
export function formatDuration(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  const hours = Math.floor(m / 60);
  const rest = m % 60;
  if (hours === 0) return t("duration-minutes", { minutes: rest });
  if (rest === 0) return t("duration-hours", { hours });
  return t("duration-hours-minutes", {
    hours: t("duration-hours", { hours }),
    minutes: t("duration-minutes", { minutes: rest }),
  });
}

/** "90 minutes (60 minutes plus 50 % extra time)" */
export function durationText(durationMinutes: number, extraPercent: number): string {
  const total = withExtraTime(durationMinutes, extraPercent);
  if (extraPercent > 0) {
    return t("duration-with-extra", {
      total: formatDuration(total),
      base: formatDuration(durationMinutes),
      percent: extraPercent,
    });
  }
  return formatDuration(total);
}

/** Calm emphasis starts under this many seconds. */
export const LOW_TIME_SECONDS = 5 * 60;

/** Minutes-left marks that are announced to screen readers. */
export const ANNOUNCE_AT_MINUTES = [10, 5, 1] as const;

export function announcementFor(minutes: number): string {
  return t("timer-announce", { minutes });
}

/**
 * Announces 10, 5 and 1 minute(s) left, once each, when the remaining time
 * crosses the mark. Marks already passed when the timer starts (for example
 * after a resume with 7 minutes left) are not announced late; the next one is.
 */
export class TimeAnnouncer {
  private readonly pending: number[];

  constructor(initialSecondsLeft: number) {
    // A mark counts as passed when less time than the mark remains at start.
    this.pending = ANNOUNCE_AT_MINUTES.filter((m) => initialSecondsLeft > m * 60).slice();
  }

  /** Returns the text to announce now, or null. */
  check(secondsLeftNow: number): string | null {
    let due: number | null = null;
    while (this.pending.length > 0 && secondsLeftNow <= (this.pending[0] as number) * 60) {
      due = this.pending.shift() as number;
    }
    return due === null ? null : announcementFor(due);
  }
}
