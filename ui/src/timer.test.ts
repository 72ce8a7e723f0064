import { describe, expect, it } from "vitest";
import {
  TimeAnnouncer,
  durationText,
  formatClock,
  formatDuration,
  secondsLeft,
  timerText,
  withExtraTime,
} from "./timer";

describe("timer formatting", () => {
  it("formats minutes and seconds with leading zeros", () => {
    expect(formatClock(29 * 60 + 41)).toBe("29:41");
    expect(formatClock(65)).toBe("01:05");
    expect(formatClock(0)).toBe("00:00");
    expect(formatClock(-5)).toBe("00:00");
  });

  it("shows hours when an hour or more is left", () => {
    expect(formatClock(3600 + 5 * 60 + 9)).toBe("1:05:09");
    expect(formatClock(2 * 3600)).toBe("2:00:00");
  });

  it("writes the timer text", () => {
    expect(timerText(29 * 60 + 41)).toBe("Time left 29:41");
  });

  it("counts seconds left from ends_at_ms and now, rounding up", () => {
    expect(secondsLeft(10_000, 0)).toBe(10);
    expect(secondsLeft(10_000, 9_001)).toBe(1);
    expect(secondsLeft(10_000, 10_000)).toBe(0);
    expect(secondsLeft(10_000, 12_000)).toBe(0);
  });
});

describe("extra time", () => {
  it("adds the extra time percentage", () => {
    expect(withExtraTime(60, 0)).toBe(60);
    expect(withExtraTime(60, 25)).toBe(75);
    expect(withExtraTime(90, 50)).toBe(135);
    expect(withExtraTime(45, 10)).toBe(50); // 49.5 rounds to 50
    expect(withExtraTime(60, -10)).toBe(60);
  });

  it("describes durations in words", () => {
    expect(formatDuration(1)).toBe("1 minute");
    expect(formatDuration(45)).toBe("45 minutes");
    expect(formatDuration(60)).toBe("1 hour");
    expect(formatDuration(135)).toBe("2 hours 15 minutes");
    expect(durationText(60, 0)).toBe("1 hour");
    expect(durationText(60, 50)).toBe("1 hour 30 minutes (1 hour plus 50 % extra time)");
  });
});

describe("time announcements", () => {
  it("announces 10, 5 and 1 minute left once each", () => {
    const a = new TimeAnnouncer(30 * 60);
    expect(a.check(20 * 60)).toBeNull();
    expect(a.check(10 * 60 + 1)).toBeNull();
    expect(a.check(10 * 60)).toBe("10 minutes left.");
    expect(a.check(9 * 60)).toBeNull();
    expect(a.check(5 * 60)).toBe("5 minutes left.");
    expect(a.check(4 * 60)).toBeNull();
    expect(a.check(60)).toMatch(/^1 minute left\./);
    expect(a.check(30)).toBeNull();
    expect(a.check(0)).toBeNull();
  });

  it("does not announce marks already passed at start (resume)", () => {
    const a = new TimeAnnouncer(7 * 60);
    expect(a.check(7 * 60)).toBeNull();
    expect(a.check(5 * 60)).toBe("5 minutes left.");
  });

  it("announces only the latest mark after a jump (sleep, slow tick)", () => {
    const a = new TimeAnnouncer(12 * 60);
    expect(a.check(40)).toMatch(/^1 minute left/);
    expect(a.check(20)).toBeNull();
  });
});
