// The app and the UI agree on command errors. ./test/app-errors.json is
// written by the app's own tests (src-tauri/src/error.rs) from the Rust
// `AppError`: one example of every variant. Each must be an `AppError` of
// src/api.ts exactly (its code known, no field the type lacks); every code
// the UI knows must be one the app sends.
//
// If this fails after a change to the Rust errors: regenerate the fixture with
//   PARAAKH_UPDATE_FIXTURES=1 cargo test -p paraakh-app --bin paraakh-app error
// and make AppError / APP_ERROR_CODES in src/api.ts match it.
import { describe, expect, it } from "vitest";
import { APP_ERROR_CODES, errorCode, errorText, type AppError } from "./api";
import fixture from "./test/app-errors.json";

const examples = fixture as Record<string, unknown>[];

/** The fields each code carries, as `AppError` declares them. */
const FIELDS: Record<AppError["code"], Record<string, string>> = {
  wrong_code: { code: "string", message: "string" },
  wait: { code: "string", message: "string", retry_after_s: "number" },
  start_refused: { code: "string", message: "string", items: "array" },
  failed: { code: "string", message: "string" },
};

const kind = (v: unknown) => (Array.isArray(v) ? "array" : typeof v);

describe("command errors", () => {
  it.each(examples.map((e) => [String(e.code), e] as const))("%s is an AppError of the UI", (_code, e) => {
    const code = errorCode(e);
    expect(code, JSON.stringify(e)).not.toBeNull();
    const fields = FIELDS[code as AppError["code"]];
    expect(Object.keys(e).sort()).toEqual(Object.keys(fields).sort());
    for (const [name, type] of Object.entries(fields)) expect(kind(e[name]), name).toBe(type);
    expect(errorText(e)).toBe(e.message);
  });

  it("knows exactly the codes the app sends", () => {
    expect(new Set(examples.map((e) => e.code))).toEqual(new Set(APP_ERROR_CODES));
  });
});
