// The engine and the UI agree on events. ./test/engine-events.json is written
// by the engine's own tests (crates/engine/src/session/events.rs) from the Rust
// `EngineEvent`; here every example must match the TypeScript side exactly:
// ENGINE_EVENT_SCHEMA, which the compiler derives from the `EngineEvent` type
// (every variant, every field, its JSON type and whether it is optional).
// A renamed field, a new field or variant, or a changed optionality on either
// side fails here or in `tsc --noEmit`.
//
// If this fails after a change to the Rust events: regenerate the fixture with
//   PARAAKH_UPDATE_FIXTURES=1 cargo test -p paraakh-engine --lib session::events
// and make EngineEvent / ENGINE_EVENT_SCHEMA in src/api.ts match it.
import { describe, expect, it } from "vitest";
import {
  ENGINE_EVENT_SCHEMA,
  SEVERITIES,
  engineEventProblem,
  isEngineEvent,
  type EngineEvent,
  type EngineEventName,
  type FieldType,
} from "./api";
import fixture from "./test/engine-events.json";

type Spec = { readonly type: FieldType; readonly optional?: boolean };

const examples: Record<string, unknown>[] = fixture.events;
const schema = ENGINE_EVENT_SCHEMA as Record<string, Record<string, Spec>>;
const variants = Object.keys(schema) as EngineEventName[];

function ofVariant(name: string): Record<string, unknown>[] {
  return examples.filter((e) => e.event === name);
}

describe("engine events: the Rust fixture against the TypeScript types", () => {
  it("the fixture is the one the engine writes", () => {
    expect(fixture.about).toMatch(/crates\/engine\/src\/session\/events\.rs/);
    expect(examples.length).toBeGreaterThanOrEqual(variants.length);
  });

  it("severities are the same", () => {
    expect([...SEVERITIES]).toEqual(fixture.severities);
  });

  it.each(examples.map((e, i) => [i, String(e.event), e] as const))(
    "example %i (%s) is an EngineEvent exactly: known variant, every field with its type, no other field",
    (_i, _name, example) => {
      expect(engineEventProblem(example, true)).toBeNull();
    },
  );

  it.each(variants)("the engine sends %s (no variant only the UI knows)", (name) => {
    expect(ofVariant(name).length).toBeGreaterThan(0);
  });

  it.each(variants)("%s: fields optional in TypeScript are exactly those the engine sometimes leaves out", (name) => {
    const shown = ofVariant(name);
    for (const [field, spec] of Object.entries(schema[name])) {
      const present = shown.filter((e) => field in e).length;
      if (spec.optional) {
        // Optional: the engine must show both forms (Some and None).
        expect({ field, present: present > 0 }).toEqual({ field, present: true });
        expect({ field, absent: present < shown.length }).toEqual({ field, absent: true });
      } else {
        expect({ field, present }).toEqual({ field, present: shown.length });
      }
    }
  });
});

describe("engine events: the validator", () => {
  const trouble: EngineEvent = { event: "trouble", monitor: "camera", message: "no frames" };

  it("accepts every event the engine sends", () => {
    for (const e of examples) expect(engineEventProblem(e)).toBeNull();
    expect(isEngineEvent(trouble, true)).toBe(true);
  });

  it("refuses what is not an event, naming why", () => {
    expect(engineEventProblem(null)).toBe("not an object");
    expect(engineEventProblem("trouble")).toBe("not an object");
    expect(engineEventProblem([trouble])).toBe("not an object");
    expect(engineEventProblem({ event: "exploded" })).toBe('unknown event "exploded"');
    expect(engineEventProblem({ event: "toString" })).toBe('unknown event "toString"');
    expect(engineEventProblem({ event: "trouble", text: "old shape" })).toBe("trouble: missing field monitor");
    expect(engineEventProblem({ ...trouble, monitor: 3 })).toBe("trouble: field monitor is not a string: 3");
    expect(engineEventProblem({ event: "warning", kind: "k", text: "t", severity: "urgent" })).toMatch(
      /field severity is not a severity/,
    );
    expect(engineEventProblem({ event: "uploaded", cosigned_size: Number.NaN })).toMatch(/not a number/);
    expect(engineEventProblem({ event: "started", session_id: "s", resumed: false, monitors: [1] })).toMatch(
      /monitors is not a string\[\]/,
    );
    expect(
      engineEventProblem({ event: "started", session_id: "s", resumed: true, gap_seconds: "5", monitors: [] }),
    ).toMatch(/gap_seconds is not a number/);
  });

  it("lets extra fields through unless strict", () => {
    const newer = { ...trouble, stopped: true };
    expect(engineEventProblem(newer)).toBeNull();
    expect(engineEventProblem(newer, true)).toBe("trouble: unknown field stopped");
  });
});
