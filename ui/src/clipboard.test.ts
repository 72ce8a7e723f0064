import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { installPrivateClipboard } from "./clipboard";

function fire(target: EventTarget, type: string): Event {
  const e = new Event(type, { bubbles: true, cancelable: true });
  target.dispatchEvent(e);
  return e;
}

describe("the exam's own clipboard", () => {
  let remove: () => void;
  let a: HTMLTextAreaElement;
  let b: HTMLInputElement;
  const inputs: string[] = [];

  beforeEach(() => {
    document.body.innerHTML = "";
    a = document.createElement("textarea");
    b = document.createElement("input");
    a.value = "Newton's second law";
    document.body.append(a, b);
    inputs.length = 0;
    a.addEventListener("input", () => inputs.push(`a:${a.value}`));
    b.addEventListener("input", () => inputs.push(`b:${b.value}`));
    remove = installPrivateClipboard(document);
  });
  afterEach(() => remove());

  it("copies within the exam and never to the desktop's clipboard", () => {
    a.focus();
    a.setSelectionRange(0, 6);
    const copy = fire(a, "copy");
    expect(copy.defaultPrevented).toBe(true);
    b.focus();
    const paste = fire(b, "paste");
    expect(paste.defaultPrevented).toBe(true);
    expect(b.value).toBe("Newton");
    expect(inputs).toEqual(["b:Newton"]);
  });

  it("cuts as typing would, so the answer is saved", () => {
    a.focus();
    a.setSelectionRange(6, 19);
    fire(a, "cut");
    expect(a.value).toBe("Newton");
    expect(inputs).toEqual(["a:Newton"]);
    a.setSelectionRange(0, 0);
    fire(a, "paste");
    expect(a.value).toBe("'s second lawNewton");
  });

  it("pastes over a selection and ignores pastes from outside the exam", () => {
    b.focus();
    const outside = fire(b, "paste");
    expect(outside.defaultPrevented).toBe(true);
    expect(b.value).toBe("");
    a.focus();
    a.setSelectionRange(0, 6);
    fire(a, "copy");
    a.setSelectionRange(9, 15);
    fire(a, "paste");
    expect(a.value).toBe("Newton's Newton law");
  });

  it("leaves read-only fields alone and can be removed", () => {
    a.focus();
    a.setSelectionRange(0, 6);
    fire(a, "copy");
    b.readOnly = true;
    b.focus();
    fire(b, "paste");
    expect(b.value).toBe("");
    remove();
    b.readOnly = false;
    const after = fire(b, "paste");
    expect(after.defaultPrevented).toBe(false);
  });
});
