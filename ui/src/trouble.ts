// Device and detector trouble, told to the candidate calmly. The engine's
// `trouble` event names the monitor and carries a technical message for the
// log; the candidate sees only which part stopped working, that the exam goes
// on, and to tell the proctor. Each monitor is told once per session (some
// detectors repeat their trouble on every frame), and troubles that arrive
// while the banner still shows one are told together.

import type { Banner } from "./banner";
import { locale, PSEUDO, t } from "./i18n";

/** "answers": an answer was refused; the save_answer rejection shows that next to the question. */
export const ANSWERS_MONITOR = "answers";

/** Each monitor's message: the candidate's name for it, inside a sentence. */
const MONITORS: Record<string, string> = {
  camera: "monitor-camera",
  microphone: "monitor-microphone",
  screen: "monitor-screen",
  processes: "monitor-processes",
  displays: "monitor-displays",
  detection: "monitor-detection",
  "face detection": "monitor-face-detection",
  "voice detection": "monitor-voice-detection",
};

/** Monitors whose name is plural ("the face and voice checks"). */
const PLURAL = new Set(["detection"]);

/** The candidate's name for a monitor (never the engine's wording). */
export function monitorName(monitor: string): string {
  return t(Object.prototype.hasOwnProperty.call(MONITORS, monitor) ? (MONITORS[monitor] as string) : "monitor-unknown");
}

/** "Your camera isn't working right now — the exam goes on; please tell your proctor." */
export function troubleText(monitors: readonly string[]): string {
  const names = [...new Set(monitors.map(monitorName))];
  if (names.length === 0) return "";
  const plural = names.length > 1 || monitors.some((m) => PLURAL.has(m));
  const parts = new Intl.ListFormat(locale() === PSEUDO ? "en" : locale(), { type: "conjunction" }).format(names);
  const text = t("trouble-not-working", { parts, count: plural ? 2 : 1 });
  return text.charAt(0).toLocaleUpperCase(locale()) + text.slice(1);
}

export class TroubleNotices {
  private told = new Set<string>();
  private shown: string[] = [];
  private text = "";

  constructor(private readonly banner: Banner) {}

  /** A new session: every monitor may be told again. */
  reset(): void {
    this.told.clear();
    this.shown = [];
    this.text = "";
  }

  /** Shows the trouble of `monitor` unless it was told already. */
  trouble(monitor: string): void {
    if (monitor === ANSWERS_MONITOR || this.told.has(monitor)) return;
    this.told.add(monitor);
    const stillShown = this.banner.visible && this.text !== "" && this.banner.message === this.text;
    if (!stillShown) this.shown = [];
    this.shown.push(monitor);
    this.text = troubleText(this.shown);
    this.banner.show(this.text, "trouble");
  }
}
