// The app and the UI agree on what each command answers. ./test/command-replies.json
// is written by the app's own tests (src-tauri/src/app/views.rs) from the Rust
// types: every form each command answers with. REPLIES below describes the
// TypeScript side, and the compiler holds each shape to its interface in
// src/api.ts: every field, its JSON type, whether it is a list, optional
// (`?:`) or nullable (`| null`), and no other field. Here every Rust example
// must match its shape exactly, and every optional or nullable field must be
// seen both ways (so nothing is optional in TypeScript that Rust always sends).
//
// If this fails after a change on the Rust side: regenerate the fixture with
//   PARAAKH_UPDATE_FIXTURES=1 cargo test -p paraakh-app --bin paraakh-app views
// and make src/api.ts (and REPLIES) match it.
import { describe, expect, it } from "vitest";
import type {
  CameraPreview,
  CheckItem,
  CheckReport,
  ConsentItem,
  ConsentTerms,
  ExamPaper,
  ExamSummary,
  Face,
  LaunchState,
  MicLevel,
  Question,
  ResumeInfo,
  SubmitReceipt,
  SyncStatus,
} from "./api";
import { COMMANDS, type CommandName } from "./commands.gen";
import fixture from "./test/command-replies.json";

type JsonType = "string" | "number" | "boolean" | "object";

/** One field: its JSON type, and (objects) the fields inside. */
type Spec = {
  readonly type: JsonType;
  readonly of?: Shape;
  readonly array?: true;
  readonly optional?: true;
  readonly nullable?: true;
};
type Shape = { readonly [field: string]: Spec };

type Base<V> = NonNullable<V> extends readonly (infer E)[] ? NonNullable<E> : NonNullable<V>;
type TypeName<V> = [V] extends [string]
  ? "string"
  : [V] extends [number]
    ? "number"
    : [V] extends [boolean]
      ? "boolean"
      : "object";
type Flag<Name extends string, On extends boolean> = On extends true
  ? { readonly [P in Name]: true }
  : { readonly [P in Name]?: never };
type IsArray<V> = NonNullable<V> extends readonly unknown[] ? true : false;
type IsNullable<V> = null extends V ? true : false;
type IsOptional<T, K extends keyof T> = {} extends Pick<T, K> ? true : false;

/** The shape of `T` as the compiler sees it: every field, nothing else. */
type ShapeOf<T> = {
  readonly [K in keyof Required<T>]-?: { readonly type: TypeName<Base<T[K]>>; readonly of?: Shape } & Flag<
    "array",
    IsArray<T[K]>
  > &
    Flag<"optional", IsOptional<T, K>> &
    Flag<"nullable", IsNullable<Exclude<T[K], undefined>>>;
};

const FACE = {
  x: { type: "number" },
  y: { type: "number" },
  width: { type: "number" },
  height: { type: "number" },
  score: { type: "number" },
} as const satisfies ShapeOf<Face>;

const EXAM_SUMMARY = {
  tenant: { type: "string" },
  tenant_name: { type: "string" },
  exam_id: { type: "string" },
  title: { type: "string" },
  duration_minutes: { type: "number" },
  extra_time_percent: { type: "number" },
  opens_at: { type: "number" },
  closes_at: { type: "number" },
  unlocked: { type: "boolean" },
  question_count: { type: "number", nullable: true },
  questions_from: { type: "number", optional: true, nullable: true },
} as const satisfies ShapeOf<ExamSummary>;

const SYNC_STATUS = {
  synced: { type: "string" },
  cosigned_size: { type: "number" },
  records: { type: "number" },
  message: { type: "string" },
  delete_after: { type: "string", optional: true },
} as const satisfies ShapeOf<SyncStatus>;

const SUBMIT_RECEIPT = {
  ...SYNC_STATUS,
  session_id: { type: "string" },
  submitted_at: { type: "string" },
  answered: { type: "number" },
  total: { type: "number" },
  seq: { type: "number" },
} as const satisfies ShapeOf<SubmitReceipt>;

const RESUME_INFO = {
  session_id: { type: "string" },
  exam_title: { type: "string" },
  stopped_at: { type: "string" },
  needs_proctor_code: { type: "boolean" },
} as const satisfies ShapeOf<ResumeInfo>;

const LAUNCH_STATE = {
  phase: { type: "string" },
  exam: { type: "object", of: EXAM_SUMMARY, nullable: true },
  resume: { type: "object", of: RESUME_INFO, nullable: true },
  receipt: { type: "object", of: SUBMIT_RECEIPT, nullable: true },
  time_up: { type: "boolean" },
  join_link: { type: "string", nullable: true },
  version: { type: "string" },
} as const satisfies ShapeOf<LaunchState>;

const CHECK_ITEM = {
  id: { type: "string" },
  title: { type: "string" },
  status: { type: "string" },
  detail: { type: "string" },
  fix: { type: "string", optional: true },
} as const satisfies ShapeOf<CheckItem>;

const CHECK_REPORT = {
  policy: { type: "string" },
  items: { type: "object", array: true, of: CHECK_ITEM },
  session: { type: "object" },
} as const satisfies ShapeOf<CheckReport>;

const CAMERA_PREVIEW = {
  image: { type: "string" },
  width: { type: "number" },
  height: { type: "number" },
  faces: { type: "object", array: true, of: FACE },
  quality: { type: "string" },
  message: { type: "string" },
} as const satisfies ShapeOf<CameraPreview>;

const MIC_LEVEL = {
  rms_dbfs: { type: "number" },
  peak_dbfs: { type: "number" },
} as const satisfies ShapeOf<MicLevel>;

const CONSENT_ITEM = {
  what: { type: "string" },
  captured: { type: "string" },
  why: { type: "string" },
} as const satisfies ShapeOf<ConsentItem>;

const CONSENT_TERMS = {
  exam_title: { type: "string" },
  tenant_name: { type: "string" },
  items: { type: "object", array: true, of: CONSENT_ITEM },
  destination: { type: "string" },
  retention: { type: "string" },
  on_device: { type: "string" },
} as const satisfies ShapeOf<ConsentTerms>;

const QUESTION = {
  id: { type: "string" },
  kind: { type: "string" },
  prompt: { type: "string" },
  points: { type: "number" },
  choices: { type: "string", array: true, optional: true },
  max_chars: { type: "number", optional: true },
  max_words: { type: "number", optional: true },
} as const satisfies ShapeOf<Question>;

const EXAM_PAPER = {
  session_id: { type: "string" },
  title: { type: "string" },
  instructions: { type: "string" },
  questions: { type: "object", array: true, of: QUESTION },
  answers: { type: "object" },
  started_at_ms: { type: "number" },
  ends_at_ms: { type: "number" },
  extra_time_percent: { type: "number" },
  resumed: { type: "boolean" },
  private_clipboard: { type: "boolean" },
  online_origin: { type: "string", nullable: true },
} as const satisfies ShapeOf<ExamPaper>;

const SAVED = { seq: { type: "number" } } as const satisfies ShapeOf<{ seq: number }>;

/** What each command answers with (`null`: nothing). */
const REPLIES: { readonly [C in CommandName]: Shape | null } = {
  launch_state: LAUNCH_STATE,
  join_with_link: EXAM_SUMMARY,
  open_joined_exam: EXAM_SUMMARY,
  unlock_exam: EXAM_SUMMARY,
  run_system_check: CHECK_REPORT,
  camera_preview: CAMERA_PREVIEW,
  microphone_level: MIC_LEVEL,
  consent_terms: CONSENT_TERMS,
  start_exam: EXAM_PAPER,
  open_online_exam: null,
  save_answer: SAVED,
  report_window_event: null,
  submit_exam: SUBMIT_RECEIPT,
  sync_status: SYNC_STATUS,
  proctor_unlock: null,
  confirm_held: null,
  quit_app: null,
};

/** Which ways each optional or nullable field was seen, per shape. */
type Seen = Map<Shape, Map<string, Set<"absent" | "present" | "null" | "value">>>;

function typeOk(type: JsonType, v: unknown): boolean {
  if (type === "object") return typeof v === "object" && v !== null && !Array.isArray(v);
  if (type === "number") return typeof v === "number" && Number.isFinite(v);
  return typeof v === type;
}

/** Every way `value` differs from `shape` (empty: it matches exactly). */
function problems(shape: Shape, value: unknown, at: string, seen: Seen): string[] {
  if (!typeOk("object", value)) return [`${at}: not an object`];
  const obj = value as Record<string, unknown>;
  const out: string[] = [];
  const ways = seen.get(shape) ?? new Map<string, Set<"absent" | "present" | "null" | "value">>();
  seen.set(shape, ways);
  for (const field of Object.keys(obj)) {
    if (!(field in shape)) out.push(`${at}.${field}: a field the UI's type does not have`);
  }
  for (const [field, spec] of Object.entries(shape)) {
    const way = ways.get(field) ?? new Set();
    ways.set(field, way);
    const v = obj[field];
    way.add(v === undefined ? "absent" : "present");
    if (v === undefined) {
      if (!spec.optional) out.push(`${at}.${field}: missing (the UI's type requires it)`);
      continue;
    }
    way.add(v === null ? "null" : "value");
    if (v === null) {
      if (!spec.nullable) out.push(`${at}.${field}: null (the UI's type does not allow it)`);
      continue;
    }
    const items = spec.array ? (Array.isArray(v) ? v : null) : [v];
    if (items === null) {
      out.push(`${at}.${field}: not a list`);
      continue;
    }
    items.forEach((item, i) => {
      const where = spec.array ? `${at}.${field}[${i}]` : `${at}.${field}`;
      if (!typeOk(spec.type, item)) out.push(`${where}: not a ${spec.type}: ${JSON.stringify(item)}`);
      else if (spec.of) out.push(...problems(spec.of, item, where, seen));
    });
  }
  return out;
}

const replies = fixture.replies as Record<string, unknown[]>;

describe("command replies: the Rust fixture against the TypeScript types", () => {
  it("the fixture is the one the app writes, for exactly the app's commands", () => {
    expect(fixture.about).toMatch(/src-tauri\/src\/app\/views\.rs/);
    expect(Object.keys(replies).sort()).toEqual([...COMMANDS].sort());
  });

  const seen: Seen = new Map();
  it.each([...COMMANDS])("%s answers with what the UI's type says, exactly", (name) => {
    const shape = REPLIES[name];
    const examples = replies[name];
    expect(examples.length).toBeGreaterThan(0);
    for (const [i, example] of examples.entries()) {
      if (shape === null) expect(example).toBeNull();
      else expect(problems(shape, example, `${name}[${i}]`, seen)).toEqual([]);
    }
  });

  it("every optional field is sometimes left out and sometimes sent; every nullable one sometimes null", () => {
    const missing: string[] = [];
    const names = new Map<Shape, string>();
    for (const [name, shape] of Object.entries(REPLIES)) if (shape) names.set(shape, name);
    for (const [shape, ways] of seen) {
      for (const [field, way] of ways) {
        const spec = shape[field];
        const where = `${names.get(shape) ?? "a nested shape"}.${field}`;
        if (spec.optional && !(way.has("absent") && way.has("present"))) missing.push(`${where}: optional`);
        if (spec.nullable && !(way.has("null") && way.has("value"))) missing.push(`${where}: nullable`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe("command replies: the checker", () => {
  it("names what differs", () => {
    const seen: Seen = new Map();
    expect(problems(MIC_LEVEL, { rms_dbfs: -3, peak_dbfs: "loud" }, "m", seen)).toEqual([
      'm.peak_dbfs: not a number: "loud"',
    ]);
    expect(problems(MIC_LEVEL, { rms_dbfs: -3 }, "m", seen)).toEqual([
      "m.peak_dbfs: missing (the UI's type requires it)",
    ]);
    expect(problems(MIC_LEVEL, { rms_dbfs: -3, peak_dbfs: 0, extra: 1 }, "m", seen)).toEqual([
      "m.extra: a field the UI's type does not have",
    ]);
    expect(problems(CHECK_REPORT, { policy: "p", items: [{ id: 1 }], session: {} }, "c", seen)).toContain(
      "c.items[0].id: not a string: 1",
    );
    expect(problems(LAUNCH_STATE, null, "l", seen)).toEqual(["l: not an object"]);
  });
});
