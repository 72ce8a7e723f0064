// Device and detector trouble, told to the candidate calmly. The engine's
// `trouble` event names the monitor and carries a technical message for the
// log; the candidate sees only which part stopped working, that the exam goes
// on, and to tell the proctor. Each monitor is told once per session (some
// detectors repeat their trouble on every frame), and troubles that arrive
// while the banner still shows one are told together.

import type { Banner } from "./banner";

/** "answers": an answer was refused; the save_answer rejection shows that next to the question. */
export const ANSWERS_MONITOR = "answers";

interface Named {
  name: string;
  plural?: boolean;
}

const MONITORS: Record<string, Named> = {
  camera: { name: "your camera" },
  microphone: { name: "your microphone" },
  screen: { name: "the screen recording" },
  processes: { name: "the check for other programs" },
  displays: { name: "the check for other screens" },
  detection: { name: "the face and voice checks", plural: true },
  "face detection": { name: "the face check" },
  "voice detection": { name: "the voice check" },
};

const UNKNOWN: Named = { name: "one of the exam's checks" };

function named(monitor: string): Named {
  return Object.prototype.hasOwnProperty.call(MONITORS, monitor) ? MONITORS[monitor] : UNKNOWN;
}

/** The candidate's name for a monitor (never the engine's wording). */
export function monitorName(monitor: string): string {
  return named(monitor).name;
}

function list(names: string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/** "Your camera isn't working right now — the exam goes on; please tell your proctor." */
export function troubleText(monitors: readonly string[]): string {
  const all = monitors.map(named);
  const names = [...new Set(all.map((n) => n.name))];
  if (names.length === 0) return "";
  const plural = names.length > 1 || all.some((n) => n.plural);
  const subject = list(names);
  return (
    subject.charAt(0).toUpperCase() +
    subject.slice(1) +
    (plural ? " aren't" : " isn't") +
    " working right now — the exam goes on; please tell your proctor."
  );
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
