// The in-memory fake of the app's commands and events: the UI's tests use
// it, and `npm run dev` shows the screens in a plain browser with it. Never
// in the app's bundle (main.ts loads it only in a development build).

import {
  type Answer,
  type Api,
  type CheckItem,
  type EventMap,
  type ExamPaper,
  type ExamSummary,
  type Question,
  type SyncState,
  engineEventProblem,
} from "./api";
import type { CommandName } from "./commands.gen";

export interface MockOptions {
  /** "resume" makes launch_state report an interrupted session. */
  phase?: "join" | "resume";
  needsProctorCode?: boolean;
  /** start_exam refuses: the machine, checked again, blocks (this item's detail). */
  startRefused?: string;
  /** A join link handed over at launch. */
  joinLink?: string | null;
  /**
   * A joined link's questions are released after this many open_joined_exam
   * calls (0: at once). Unset: the link's exam needs the start code.
   */
  linkOpensAfterPolls?: number;
  /** The exam runs on the organiser's page (online_origin set). */
  online?: boolean;
  /** The start code that unlock_exam accepts. */
  startCode?: string;
  /** The proctor code that proctor_unlock / resume accept. */
  proctorCode?: string;
  /** Make the system check report a blocking item (until fixed with fixBlocking()). */
  blocking?: boolean;
  /** Delay for run_system_check in ms (the real one takes 2–5 s). */
  checkDelayMs?: number;
  /** Exam length. */
  durationMinutes?: number;
  extraTimePercent?: number;
  /** Answers already saved (for resume). */
  savedAnswers?: Record<string, Answer>;
  /** Sync state reported by submit_exam; sync_status moves to "synced" after this many polls. */
  initialSync?: SyncState;
  syncAfterPolls?: number;
  /** Clock used for the paper's times. */
  now?: () => number;
}

export interface MockCall {
  name: string;
  args: Record<string, unknown>;
}

export interface MockApi extends Api {
  readonly calls: MockCall[];
  /** Saved answers, as the engine holds them. */
  readonly saved: Record<string, Answer>;
  /** The next n save_answer calls reject. */
  failNextSaves(n: number): void;
  /** The next call of this command rejects with the message. */
  failNext(command: string, message: string): void;
  fixBlocking(): void;
  /** Delivers an event to the listeners; an `engine` payload must be an EngineEvent exactly. */
  emit<E extends keyof EventMap>(event: E, payload: EventMap[E]): void;
  /** Delivers any payload, unchecked (for tests of malformed events). */
  emitRaw(event: keyof EventMap, payload: unknown): void;
  callsOf(name: string): MockCall[];
}

export const DEMO_QUESTIONS: Question[] = [
  {
    id: "q1",
    kind: "single_choice",
    prompt: "Which gas do plants take in from the air to make their food?",
    points: 1,
    choices: ["Oxygen", "Carbon dioxide", "Nitrogen", "Helium"],
  },
  {
    id: "q2",
    kind: "multiple_choice",
    prompt: "Which of these numbers are prime? Choose all that apply.",
    points: 2,
    choices: ["2", "9", "11", "15", "17"],
  },
  {
    id: "q3",
    kind: "short_text",
    prompt: "What is the capital city of Rajasthan?",
    points: 1,
    max_chars: 60,
  },
  {
    id: "q4",
    kind: "essay",
    prompt:
      "In a short essay, explain why regular breaks help people learn.\nGive at least one example from your own experience.",
    points: 6,
    max_words: 150,
  },
];

function svgDataUrl(svg: string): string {
  // btoa works on Latin-1; the SVG below is plain ASCII.
  return "data:image/svg+xml;base64," + btoa(svg);
}

function demoCameraImage(frame: number): string {
  const shift = (frame % 6) - 3;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240">` +
    `<rect width="320" height="240" fill="#c9d6df"/>` +
    `<rect y="170" width="320" height="70" fill="#8fa3b1"/>` +
    `<ellipse cx="${160 + shift}" cy="215" rx="85" ry="50" fill="#3d5a80"/>` +
    `<ellipse cx="${160 + shift}" cy="115" rx="48" ry="60" fill="#e0b48f"/>` +
    `<circle cx="${143 + shift}" cy="105" r="5" fill="#333"/>` +
    `<circle cx="${177 + shift}" cy="105" r="5" fill="#333"/>` +
    `<path d="M${145 + shift} 140 q15 12 30 0" stroke="#333" stroke-width="3" fill="none"/>` +
    `</svg>`;
  return svgDataUrl(svg);
}

export function createMockApi(options: MockOptions = {}): MockApi {
  const now = options.now ?? (() => Date.now());
  const startCode = options.startCode ?? "ABCD-EFGH-JKMN";
  const proctorCode = options.proctorCode ?? "PROC-TOR1";
  const duration = options.durationMinutes ?? 30;
  const extra = options.extraTimePercent ?? 0;
  const calls: MockCall[] = [];
  const saved: Record<string, Answer> = { ...(options.savedAnswers ?? {}) };
  const failures = new Map<string, string[]>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  let saveFailures = 0;
  let blocking = options.blocking ?? false;
  let unlocked = false;
  let joinedByLink = false;
  let pollsToOpen = options.linkOpensAfterPolls;
  let seq = 0;
  let frame = 0;
  let syncPolls = 0;
  let started = false;
  let submitted = false;
  let paper: ExamPaper | null = null;

  const nowSec = Math.floor(now() / 1000);
  const summary = (): ExamSummary => ({
    tenant: "demo-school",
    tenant_name: "Demo School",
    exam_id: "demo-science-1",
    title: "Science — practice exam",
    duration_minutes: duration,
    extra_time_percent: extra,
    opens_at: nowSec - 600,
    closes_at: nowSec + 3 * 3600,
    unlocked,
    question_count: DEMO_QUESTIONS.length,
    questions_from: joinedByLink && !unlocked ? nowSec + 120 : null,
  });

  const record = async <T>(name: CommandName, args: Record<string, unknown>, fn: () => T | Promise<T>): Promise<T> => {
    calls.push({ name, args });
    await Promise.resolve();
    const queue = failures.get(name);
    if (queue && queue.length > 0) {
      const message = queue.shift() as string;
      throw message;
    }
    return fn();
  };

  const normCode = (c: string) => c.trim().toUpperCase().replace(/\s+/g, "");

  const api: MockApi = {
    calls,
    saved,
    failNextSaves(n) {
      saveFailures = n;
    },
    failNext(command, message) {
      const q = failures.get(command) ?? [];
      q.push(message);
      failures.set(command, q);
    },
    fixBlocking() {
      blocking = false;
    },
    emit(event, payload) {
      if (event === "engine") {
        const problem = engineEventProblem(payload, true);
        if (problem) throw new Error(`the mock emitted an engine event the engine never sends: ${problem}`);
      }
      api.emitRaw(event, payload);
    },
    emitRaw(event, payload) {
      for (const cb of listeners.get(event) ?? []) cb(payload);
    },
    callsOf(name) {
      return calls.filter((c) => c.name === name);
    },

    launchState: () =>
      record("launch_state", {}, () => ({
        phase: options.phase ?? "join",
        exam: summary(),
        resume:
          options.phase === "resume"
            ? {
                session_id: "demo-session-0001",
                exam_title: summary().title,
                stopped_at: new Date(now() - 4 * 60_000).toISOString(),
                needs_proctor_code: options.needsProctorCode ?? false,
              }
            : null,
        receipt: null,
        time_up: false,
        join_link: options.joinLink ?? null,
        version: "0.1.0-mock",
      })),

    joinWithLink: (link) =>
      record("join_with_link", { link }, () => {
        if (!/^(paraakh:|https?:)/i.test(link.trim())) {
          throw "That does not look like a join link. It should start with paraakh: or https:.";
        }
        if (pollsToOpen !== undefined) {
          joinedByLink = true;
          if (pollsToOpen <= 0) unlocked = true;
        }
        return summary();
      }),

    openJoinedExam: () =>
      record("open_joined_exam", {}, () => {
        if (!joinedByLink) throw "No exam was joined by link.";
        if (pollsToOpen !== undefined && !unlocked) {
          pollsToOpen -= 1;
          if (pollsToOpen <= 0) unlocked = true;
        }
        return summary();
      }),

    unlockExam: (code) =>
      record("unlock_exam", { code }, () => {
        if (normCode(code) !== normCode(startCode)) {
          throw "That start code did not match. Please check it with your proctor and try again.";
        }
        unlocked = true;
        return summary();
      }),

    runSystemCheck: () =>
      record("run_system_check", {}, async () => {
        const delay = options.checkDelayMs ?? 0;
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        const items: CheckItem[] = [
          { id: "display", title: "Screens", status: "ok", detail: "One screen is connected." },
          {
            id: "camera",
            title: "Camera",
            status: "ok",
            detail: "Your camera is working and your face is visible.",
          },
          {
            id: "network",
            title: "Internet connection",
            status: "warning",
            detail: "The connection is slow. Your answers are saved on this computer either way.",
            fix: "If you can, move closer to the Wi-Fi router. You can still take the exam.",
          },
        ];
        if (blocking) {
          items.push({
            id: "screen_share",
            title: "Screen sharing",
            status: "blocking",
            detail: "Another program is sharing your screen.",
            fix: "Close the screen sharing program (for example a video call), then choose Check again.",
          });
        }
        return { policy: "standard", items, session: { kind: "x11", decided_by: "x_server", observations: [] } };
      }),

    cameraPreview: () =>
      record("camera_preview", {}, () => {
        frame += 1;
        const shift = (frame % 6) - 3;
        return {
          image: demoCameraImage(frame),
          width: 320,
          height: 240,
          faces: [{ x: 110 + shift, y: 52, width: 100, height: 125, score: 0.94 }],
          quality: "ok" as const,
          message: "Your face is clearly visible.",
        };
      }),

    microphoneLevel: () =>
      record("microphone_level", {}, () => {
        const t = now() / 400;
        const rms = -42 + 14 * Math.abs(Math.sin(t));
        return { rms_dbfs: rms, peak_dbfs: Math.min(0, rms + 8) };
      }),

    consentTerms: () =>
      record("consent_terms", {}, () => ({
        exam_title: summary().title,
        tenant_name: summary().tenant_name,
        items: [
          {
            what: "Camera",
            captured: "A picture from your camera every few seconds",
            why: "To confirm that you are the person taking the exam",
          },
          {
            what: "Microphone",
            captured: "Sound levels, and short recordings when there is talking",
            why: "To notice if someone is helping you",
          },
          {
            what: "Screen",
            captured: "Pictures of your screen when it changes",
            why: "To notice other programs or websites during the exam",
          },
        ],
        destination: "Demo School's exam server",
        retention: "90 days after results are published, then deleted",
        on_device: "Detection runs on this computer. Nothing is sent until you submit or the exam ends.",
      })),

    startExam: (agree, code) =>
      record("start_exam", code ? { agree, proctorCode: code } : { agree }, () => {
        if (!agree) throw "The exam can only start after you agree to the terms.";
        if (options.phase === "resume" && options.needsProctorCode && normCode(code ?? "") !== normCode(proctorCode)) {
          throw { code: "wrong_code", message: "That proctor code did not match. Please ask your proctor again." };
        }
        if (options.startRefused) {
          throw {
            code: "start_refused",
            message: `The exam cannot start: the computer was checked again and Programs: ${options.startRefused}.`,
            items: [],
          };
        }
        if (!paper) {
          const start = now();
          const total = Math.round(duration * (1 + extra / 100) * 60_000);
          paper = {
            session_id: "demo-session-0001",
            title: summary().title,
            instructions:
              "Answer all questions. Your answers are saved as you go.\nYou can flag a question to come back to it later.\nChoose Submit exam when you are done.",
            questions: DEMO_QUESTIONS.map((q) => ({ ...q, choices: q.choices ? [...q.choices] : undefined })),
            answers: saved,
            started_at_ms: start,
            ends_at_ms: start + total,
            extra_time_percent: extra,
            resumed: options.phase === "resume",
            private_clipboard: true,
            online_origin: options.online ? "https://quiz.demo-school.example" : null,
          };
        }
        started = true;
        api.emit("engine", {
          event: "started",
          session_id: paper.session_id,
          resumed: paper.resumed,
          ...(paper.resumed ? { gap_seconds: 240 } : {}),
          monitors: ["camera", "microphone", "screen", "processes", "displays"],
        });
        return { ...paper, answers: { ...saved } };
      }),

    openOnlineExam: () =>
      record("open_online_exam", {}, () => {
        if (!started || !options.online) throw "This exam is not an online exam.";
      }),

    saveAnswer: (question, answer, typing) =>
      record("save_answer", typing ? { question, answer, typing } : { question, answer }, () => {
        if (saveFailures > 0) {
          saveFailures -= 1;
          throw "Could not save just now. Trying again.";
        }
        if (!started) throw "The exam has not started.";
        if (submitted) throw "The exam was already submitted.";
        saved[question] = Array.isArray(answer) ? [...answer] : answer;
        seq += 1;
        api.emit("engine", { event: "answer_saved", question, seq });
        return { seq };
      }),

    reportWindowEvent: (kind) => record("report_window_event", { kind }, () => undefined),

    submitExam: () =>
      record("submit_exam", {}, () => {
        submitted = true;
        const answered = DEMO_QUESTIONS.filter((q) => {
          const a = saved[q.id];
          return a !== undefined && !(Array.isArray(a) && a.length === 0) && !(typeof a === "string" && a.trim() === "");
        }).length;
        seq += 1;
        api.emit("engine", { event: "submitted", seq, answers: answered, how: "submitted by the candidate" });
        return {
          session_id: "demo-session-0001",
          submitted_at: new Date(now()).toISOString(),
          answered,
          total: DEMO_QUESTIONS.length,
          seq,
          synced: options.initialSync ?? "pending",
          cosigned_size: 0,
          records: seq + 12,
          message: "Your answers are saved on this computer.",
        };
      }),

    syncStatus: () =>
      record("sync_status", {}, () => {
        syncPolls += 1;
        const after = options.syncAfterPolls ?? 2;
        const synced: SyncState = syncPolls >= after ? "synced" : (options.initialSync ?? "pending");
        return {
          synced,
          cosigned_size: synced === "synced" ? 4096 : 0,
          records: seq + 12,
          message:
            synced === "synced"
              ? "This computer deletes its copy on 2027-01-06 (UTC), as Demo School's rules say."
              : "Sending to Demo School…",
        };
      }),

    proctorUnlock: (code, reason) =>
      record("proctor_unlock", { code, reason }, () => {
        if (normCode(code) !== normCode(proctorCode)) throw { code: "wrong_code", message: "That proctor code did not match." };
      }),

    confirmHeld: (code) =>
      record("confirm_held", { code }, () => {
        if (normCode(code) !== normCode(proctorCode)) throw { code: "wrong_code", message: "That proctor code did not match." };
        api.emit("engine", { event: "released" });
      }),

    quitApp: () => record("quit_app", {}, () => undefined),

    listen: async (event, cb) => {
      const set = listeners.get(event) ?? new Set();
      const fn = cb as (p: unknown) => void;
      set.add(fn);
      listeners.set(event, set);
      return () => {
        set.delete(fn);
      };
    },
  };
  return api;
}
