// The IPC contract between the exam UI and the Rust side (Tauri 2).
//
// Commands are called with `invoke(name, args)`; argument keys are camelCase in
// JS (Tauri converts them to snake_case Rust arguments). Result objects use the
// snake_case field names below. A rejected invoke carries a plain-words string.

import { invoke as tauriInvoke } from "@tauri-apps/api/core";
import type { CommandName } from "./commands.gen";
import { t } from "./i18n";

/** Calls one of the app's commands: only the names the app has (commands.gen.ts). */
const invoke = <T>(command: CommandName, args?: Record<string, unknown>): Promise<T> =>
  tauriInvoke<T>(command, args);
import { listen as tauriListen } from "@tauri-apps/api/event";

export type Status = "ok" | "warning" | "blocking";

export interface CheckItem {
  id: string;
  title: string;
  status: Status;
  detail: string;
  fix?: string;
}

/** The exam cannot start while any item is "blocking". */
export interface CheckReport {
  policy: string;
  items: CheckItem[];
  /** How the desktop session's type was found (for the evidence; not shown). */
  session: Record<string, unknown>;
}

export interface ExamSummary {
  tenant: string;
  tenant_name: string;
  exam_id: string;
  title: string;
  duration_minutes: number;
  extra_time_percent: number;
  /** unix seconds */
  opens_at: number;
  /** unix seconds */
  closes_at: number;
  unlocked: boolean;
  question_count: number | null;
  /** Joined by link and still sealed: when the server releases the questions (unix seconds). */
  questions_from?: number | null;
}

export interface ResumeInfo {
  session_id: string;
  exam_title: string;
  /** RFC 3339 */
  stopped_at: string;
  needs_proctor_code: boolean;
}

export interface LaunchState {
  phase: "join" | "resume" | "receipt";
  exam: ExamSummary | null;
  resume: ResumeInfo | null;
  /** "receipt": an online exam was submitted and the app's page came back. */
  receipt: SubmitReceipt | null;
  time_up: boolean;
  join_link: string | null;
  version: string;
}

/** Pixels in the image. */
export interface Face {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

export type CameraQuality = "ok" | "covered" | "too_dark" | "frozen" | "unavailable";

export interface CameraPreview {
  /** data:image/jpeg;base64,... */
  image: string;
  width: number;
  height: number;
  faces: Face[];
  quality: CameraQuality;
  message: string;
}

/** Both values in dBFS, -100..0. */
export interface MicLevel {
  rms_dbfs: number;
  peak_dbfs: number;
}

export interface ConsentItem {
  what: string;
  captured: string;
  why: string;
}

export interface ConsentTerms {
  exam_title: string;
  tenant_name: string;
  items: ConsentItem[];
  destination: string;
  retention: string;
  on_device: string;
}

export type QuestionKind = "single_choice" | "multiple_choice" | "short_text" | "essay";

export interface Question {
  id: string;
  kind: QuestionKind;
  prompt: string;
  points: number;
  choices?: string[];
  max_chars?: number;
  max_words?: number;
}

/** single: choice index; multiple: sorted indices; text: the text */
export type Answer = number | number[] | string;

/** How an answer was typed since its last save (see typing.ts). */
export interface TypingSample {
  intervals_ms: number[];
  inserted: number[];
}

export interface ExamPaper {
  session_id: string;
  title: string;
  instructions: string;
  questions: Question[];
  /** saved answers (non-empty after a resume) */
  answers: Record<string, Answer>;
  started_at_ms: number;
  ends_at_ms: number;
  extra_time_percent: number;
  resumed: boolean;
  /** Copy and paste stay inside the exam (the policy's block_copy_out). */
  private_clipboard: boolean;
  /** An online exam: the origin of the organiser's page (the questions are there). */
  online_origin: string | null;
}

export type SyncState = "synced" | "pending" | "offline";

export interface SyncStatus {
  synced: SyncState;
  cosigned_size: number;
  records: number;
  message: string;
  /** When this computer deletes its copy (YYYY-MM-DD, UTC), once everything is confirmed. */
  delete_after?: string;
}

export interface SubmitReceipt extends SyncStatus {
  session_id: string;
  submitted_at: string;
  answered: number;
  total: number;
  seq: number;
}

export type WindowEventKind = "devtools_attempt";

// ---- events ---------------------------------------------------------------
//
// The `engine` event carries the engine's UI event stream as serialised by
// `EngineEvent` in crates/engine/src/session/events.rs (serde tag "event",
// snake_case; an `Option` field marked skip_serializing_if is left out when
// empty, so it is optional here). ui/src/test/engine-events.json holds one
// example of every form, written by that file's tests; src/events.test.ts
// checks the types and ENGINE_EVENT_SCHEMA below against it.

/** How serious an evidence record is (paraakh_evidence::Severity). */
export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The session runs. */
export interface StartedEvent {
  event: "started";
  session_id: string;
  /** It continues after a crash or reboot. */
  resumed: boolean;
  /** Seconds between the last record before the stop and the resume (resumes only). */
  gap_seconds?: number;
  /** Monitors running: "camera", "microphone", "screen", "processes", "displays". */
  monitors: string[];
}

/** A record went into the evidence log. */
export interface RecordedEvent {
  event: "recorded";
  seq: number;
  kind: string;
  severity: Severity;
  /** For the reviewer, not for the candidate. */
  message: string;
}

/** Something the candidate should see, in calm words. */
export interface WarningEvent {
  event: "warning";
  kind: string;
  /** What to show. */
  text: string;
  severity: Severity;
}

/** An answer was saved. */
export interface AnswerSavedEvent {
  event: "answer_saved";
  question: string;
  seq: number;
}

/** The exam was submitted. */
export interface SubmittedEvent {
  event: "submitted";
  /** The submission record. */
  seq: number;
  /** Questions answered. */
  answers: number;
  /** By whom or what, in words. */
  how: string;
}

/**
 * The exam is held until a proctor confirms a keyboard or pointer that
 * appeared during it: answers are not saved and it cannot be submitted
 * meanwhile. The app covers the exam until `released`.
 */
export interface HeldEvent {
  event: "held";
  /** The devices, by name. */
  devices: string[];
}

/** A proctor confirmed; the exam goes on. */
export interface ReleasedEvent {
  event: "released";
}

/** The backend cosigned the log up to `cosigned_size` records. */
export interface UploadedEvent {
  event: "uploaded";
  cosigned_size: number;
}

/**
 * A device or detector problem. `monitor` names it ("camera", "microphone",
 * "screen", "processes", "displays", "detection", "face detection",
 * "voice detection"; "answers" when an answer was refused, which the app
 * turns into the save_answer rejection). `message` is technical.
 */
export interface TroubleEvent {
  event: "trouble";
  monitor: string;
  message: string;
}

/** The session ended and is sealed by a final checkpoint. */
export interface EndedEvent {
  event: "ended";
  reason: string;
  /** Records in the log. */
  records: number;
}

export type EngineEvent =
  | StartedEvent
  | RecordedEvent
  | WarningEvent
  | AnswerSavedEvent
  | SubmittedEvent
  | HeldEvent
  | ReleasedEvent
  | UploadedEvent
  | TroubleEvent
  | EndedEvent;

export type EngineEventName = EngineEvent["event"];

/** How a field travels in JSON. */
export type FieldType = "string" | "number" | "boolean" | "string[]" | "severity";

type FieldTypeOf<V> = [V] extends [Severity]
  ? "severity"
  : [V] extends [string]
    ? "string"
    : [V] extends [number]
      ? "number"
      : [V] extends [boolean]
        ? "boolean"
        : [V] extends [string[]]
          ? "string[]"
          : never;

// An optional field's spec says `optional: true`; a required field's does not.
type FieldSpec<T, K extends keyof T> = {} extends Pick<T, K>
  ? { readonly type: FieldTypeOf<Exclude<T[K], undefined>>; readonly optional: true }
  : { readonly type: FieldTypeOf<T[K]>; readonly optional?: false };

type VariantSchema<T> = { readonly [K in Exclude<keyof T, "event">]-?: FieldSpec<T, K> };

/**
 * The fields of every event, derived from the types above: the compiler
 * insists on every variant and field with its JSON type and optionality, and
 * nothing else. parseEngineEvent checks payloads against it at run time.
 */
export type EngineEventSchema = {
  readonly [E in EngineEventName]: VariantSchema<Extract<EngineEvent, { event: E }>>;
};

export const ENGINE_EVENT_SCHEMA: EngineEventSchema = {
  started: {
    session_id: { type: "string" },
    resumed: { type: "boolean" },
    gap_seconds: { type: "number", optional: true },
    monitors: { type: "string[]" },
  },
  recorded: {
    seq: { type: "number" },
    kind: { type: "string" },
    severity: { type: "severity" },
    message: { type: "string" },
  },
  warning: {
    kind: { type: "string" },
    text: { type: "string" },
    severity: { type: "severity" },
  },
  answer_saved: {
    question: { type: "string" },
    seq: { type: "number" },
  },
  submitted: {
    seq: { type: "number" },
    answers: { type: "number" },
    how: { type: "string" },
  },
  held: {
    devices: { type: "string[]" },
  },
  released: {},
  uploaded: {
    cosigned_size: { type: "number" },
  },
  trouble: {
    monitor: { type: "string" },
    message: { type: "string" },
  },
  ended: {
    reason: { type: "string" },
    records: { type: "number" },
  },
};

function fieldOk(type: FieldType, v: unknown): boolean {
  switch (type) {
    case "string":
      return typeof v === "string";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "boolean":
      return typeof v === "boolean";
    case "string[]":
      return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "severity":
      return (SEVERITIES as readonly unknown[]).includes(v);
  }
}

/**
 * Why a payload is not an EngineEvent, or null when it is. `strict` also
 * refuses fields the types do not know (the tests use it; the app ignores
 * extra fields so an engine a little newer still works).
 */
export function engineEventProblem(value: unknown, strict = false): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not an object";
  const obj = value as Record<string, unknown>;
  const name = obj.event;
  if (typeof name !== "string" || !Object.prototype.hasOwnProperty.call(ENGINE_EVENT_SCHEMA, name)) {
    return `unknown event ${JSON.stringify(name)}`;
  }
  const fields = ENGINE_EVENT_SCHEMA[name as EngineEventName] as Record<
    string,
    { readonly type: FieldType; readonly optional?: boolean }
  >;
  for (const [field, spec] of Object.entries(fields)) {
    const v = obj[field];
    if (v === undefined) {
      if (!spec.optional) return `${name}: missing field ${field}`;
    } else if (!fieldOk(spec.type, v)) {
      return `${name}: field ${field} is not a ${spec.type}: ${JSON.stringify(v)}`;
    }
  }
  if (strict) {
    for (const field of Object.keys(obj)) {
      if (field !== "event" && !(field in fields)) return `${name}: unknown field ${field}`;
    }
  }
  return null;
}

export function isEngineEvent(value: unknown, strict = false): value is EngineEvent {
  return engineEventProblem(value, strict) === null;
}

/** From the window (src-tauri/src/kiosk.rs `LockdownNotice`); `text` is for the candidate. */
export interface LockdownEvent {
  kind: "close_blocked" | "focus_lost" | "fullscreen_exit";
  text: string;
}

export interface JoinLinkEvent {
  link: string;
}

export interface EventMap {
  engine: EngineEvent;
  lockdown: LockdownEvent;
  "join-link": JoinLinkEvent;
}

export type Unlisten = () => void;

// ---- the interface the screens use ----------------------------------------

export interface Api {
  launchState(): Promise<LaunchState>;
  joinWithLink(link: string): Promise<ExamSummary>;
  /** Asks the server for a joined exam's questions; unlocked once released. */
  openJoinedExam(): Promise<ExamSummary>;
  unlockExam(code: string): Promise<ExamSummary>;
  runSystemCheck(): Promise<CheckReport>;
  cameraPreview(): Promise<CameraPreview>;
  microphoneLevel(): Promise<MicLevel>;
  consentTerms(): Promise<ConsentTerms>;
  startExam(agree: boolean, proctorCode?: string): Promise<ExamPaper>;
  /** An online exam: the window goes to the organiser's page. */
  openOnlineExam(): Promise<void>;
  saveAnswer(question: string, answer: Answer, typing?: TypingSample): Promise<{ seq: number }>;
  reportWindowEvent(kind: WindowEventKind): Promise<void>;
  submitExam(): Promise<SubmitReceipt>;
  syncStatus(): Promise<SyncStatus>;
  proctorUnlock(code: string, reason: string): Promise<void>;
  /** A proctor confirms the input device that holds the exam. */
  confirmHeld(code: string): Promise<void>;
  quitApp(): Promise<void>;
  listen<E extends keyof EventMap>(event: E, cb: (payload: EventMap[E]) => void): Promise<Unlisten>;
}

/** Turns a rejection into words a candidate can read. */
/** Why a command refused, as the app answers: a code to switch on, and words. */
export const APP_ERROR_CODES = ["wrong_code", "wait", "start_refused", "failed"] as const;
export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

export interface AppError {
  code: AppErrorCode;
  message: string;
  /** `wait`: seconds until the next try is taken. */
  retry_after_s?: number;
  /** `start_refused`: each blocking item with what was found and the fix. */
  items?: CheckItem[];
}

/** The code of a command's refusal (`null` for anything else: a plain string, a crash). */
export function errorCode(err: unknown): AppErrorCode | null {
  if (err && typeof err === "object" && "code" in err) {
    const c = (err as { code: unknown }).code;
    const known = APP_ERROR_CODES as readonly unknown[];
    if (known.includes(c)) return c as AppErrorCode;
  }
  return null;
}

export function errorText(err: unknown): string {
  if (typeof err === "string" && err.trim() !== "") return err;
  if (err instanceof Error && err.message) return err.message;
  if (err && typeof err === "object" && "message" in err) {
    const m = (err as { message: unknown }).message;
    if (typeof m === "string" && m.trim() !== "") return m;
  }
  return t("error-generic");
}

export function isTauri(win: Window = window): boolean {
  return "__TAURI_INTERNALS__" in win;
}

// ---- the real implementation ----------------------------------------------

export const tauriApi: Api = {
  launchState: () => invoke<LaunchState>("launch_state"),
  joinWithLink: (link) => invoke<ExamSummary>("join_with_link", { link }),
  openJoinedExam: () => invoke<ExamSummary>("open_joined_exam"),
  unlockExam: (code) => invoke<ExamSummary>("unlock_exam", { code }),
  runSystemCheck: () => invoke<CheckReport>("run_system_check"),
  cameraPreview: () => invoke<CameraPreview>("camera_preview"),
  microphoneLevel: () => invoke<MicLevel>("microphone_level"),
  consentTerms: () => invoke<ConsentTerms>("consent_terms"),
  startExam: (agree, proctorCode) =>
    invoke<ExamPaper>("start_exam", proctorCode ? { agree, proctorCode } : { agree }),
  openOnlineExam: () => invoke<void>("open_online_exam"),
  saveAnswer: (question, answer, typing) =>
    invoke<{ seq: number }>("save_answer", typing ? { question, answer, typing } : { question, answer }),
  reportWindowEvent: (kind) => invoke<void>("report_window_event", { kind }),
  submitExam: () => invoke<SubmitReceipt>("submit_exam"),
  syncStatus: () => invoke<SyncStatus>("sync_status"),
  proctorUnlock: (code, reason) => invoke<void>("proctor_unlock", { code, reason }),
  confirmHeld: (code) => invoke<void>("confirm_held", { code }),
  quitApp: () => invoke<void>("quit_app"),
  listen: (event, cb) => tauriListen(event, (e) => cb(e.payload as never)),
};
