import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Answer, ExamPaper } from "../api";
import { createMockApi, type MockApi } from "../mock";
import { flagsKey } from "../examState";
import { $, $input, flush, makeCtx, mount, type TestCtx, last } from "../test/helpers";
import { createExamScreen } from "./exam";
import type { Screen } from "../context";

const T0 = new Date(2025, 2, 1, 14, 0, 0).getTime();

let api: MockApi;
let ctx: TestCtx;
let screen: Screen | null = null;

async function open(opts: { saved?: Record<string, Answer>; minutes?: number; paper?: (p: ExamPaper) => ExamPaper } = {}) {
  api = createMockApi({ savedAnswers: opts.saved, durationMinutes: opts.minutes ?? 30 });
  let paper = await api.startExam(true);
  if (opts.paper) paper = opts.paper(paper);
  ctx = makeCtx(api);
  screen = mount(createExamScreen(ctx, { name: "exam", paper }));
  return paper;
}

function nav(id: string): HTMLButtonElement {
  return $(`#question-nav [data-question="${id}"]`) as HTMLButtonElement;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});

afterEach(() => {
  screen?.destroy?.();
  screen = null;
});

describe("exam screen: structure", () => {
  it("shows title, timer, instructions and the first question", async () => {
    await open();
    expect($("#screen-exam h1").textContent).toBe("Science — practice exam");
    expect($("#timer").getAttribute("role")).toBe("timer");
    expect($("#timer").getAttribute("aria-live")).toBe("off");
    expect($("#timer").textContent).toBe("Time left 30:00");
    expect($("#instructions").tagName).toBe("DETAILS");
    expect($("#question-nav").tagName).toBe("NAV");
    expect($("#question-nav").getAttribute("aria-label")).toBe("Questions");
    expect($("#question-heading").textContent).toBe("Question 1 of 4");
    expect(nav("q1").getAttribute("aria-current")).toBe("true");
    expect(nav("q1").getAttribute("aria-label")).toBe("Question 1, not answered");
    expect(document.querySelectorAll('input[type=radio][name="answer"]').length).toBe(4);
    expect($("#answer-area fieldset legend").textContent).toBe("Choose one answer");
    expect(($("#prev") as HTMLButtonElement).disabled).toBe(true);
  });

  it("renders a hostile prompt as text, never as HTML", async () => {
    const evil = '<img src=x onerror="alert(1)"> What is 2+2?';
    await open({
      paper: (p) => ({
        ...p,
        title: "<script>alert(1)</script>",
        questions: [{ ...p.questions[0]!, prompt: evil, choices: ["<b>4</b>", "5"] }, ...p.questions.slice(1)],
      }),
    });
    expect($("#question-prompt").textContent).toBe(evil);
    expect(document.querySelector("#screen-exam img")).toBeNull();
    expect(document.querySelector("#screen-exam script")).toBeNull();
    expect(document.querySelector("#answer-area b")).toBeNull();
    expect($('label[for="choice-0"]').textContent).toBe("<b>4</b>");
    expect($("#screen-exam h1").textContent).toBe("<script>alert(1)</script>");
  });
});

describe("exam screen: answers", () => {
  it("restores saved answers for every kind", async () => {
    await open({ saved: { q1: 1, q2: [4, 0], q3: "Jaipur", q4: "Breaks help." } });
    expect($input('[data-choice="1"]').checked).toBe(true);
    expect($input('[data-choice="0"]').checked).toBe(false);
    expect(nav("q1").getAttribute("aria-label")).toBe("Question 1, answered");

    $("#next").click();
    expect($("#question-heading").textContent).toBe("Question 2 of 4");
    expect($input('input[type=checkbox][data-choice="0"]').checked).toBe(true);
    expect($input('input[type=checkbox][data-choice="4"]').checked).toBe(true);
    expect($input('input[type=checkbox][data-choice="1"]').checked).toBe(false);

    $("#next").click();
    const short = $input("#answer-text");
    expect(short.tagName).toBe("INPUT");
    expect(short.value).toBe("Jaipur");
    expect(short.maxLength).toBe(60);
    expect($("#answer-counter").textContent).toBe("6 of 60 characters");

    $("#next").click();
    expect($("#answer-text").tagName).toBe("TEXTAREA");
    expect(($("#answer-text") as HTMLTextAreaElement).value).toBe("Breaks help.");
    expect($("#answer-counter").textContent).toBe("2 of 150 words");
  });

  it("saves a single choice at once as its index", async () => {
    await open();
    const r = $input('[data-choice="2"]');
    r.click();
    await flush();
    expect(api.callsOf("save_answer").map((c) => c.args)).toEqual([{ question: "q1", answer: 2 }]);
    expect(nav("q1").getAttribute("aria-label")).toBe("Question 1, answered");
  });

  it("saves multiple choices as sorted indices", async () => {
    await open();
    $("#next").click();
    $input('[data-choice="3"]').click();
    await flush();
    $input('[data-choice="0"]').click();
    await flush();
    $input('[data-choice="3"]').click();
    await flush();
    expect(api.callsOf("save_answer").map((c) => c.args.answer)).toEqual([[3], [0, 3], [0]]);
    expect(api.saved.q2).toEqual([0]);
  });

  it("saves text 600 ms after typing stops and says when", async () => {
    await open();
    $("#question-nav [data-question=q3]").click();
    const input = $input("#answer-text");
    for (const v of ["J", "Ja", "Jaipur"]) {
      input.value = v;
      input.dispatchEvent(new Event("input"));
      await vi.advanceTimersByTimeAsync(200);
    }
    expect(api.callsOf("save_answer")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(600);
    await flush();
    expect(api.callsOf("save_answer").map((c) => c.args)).toEqual([{ question: "q3", answer: "Jaipur" }]);
    expect($("#save-status").textContent).toMatch(/^Saved at /);
    expect($("#save-status").getAttribute("aria-live")).toBe("polite");
  });

  it("keeps typed text when saving fails, says so, and retries", async () => {
    await open();
    api.failNextSaves(2);
    $("#question-nav [data-question=q4]").click();
    const area = $("#answer-text") as HTMLTextAreaElement;
    area.value = "My essay about breaks";
    area.dispatchEvent(new Event("input"));
    await vi.advanceTimersByTimeAsync(600);
    await flush();
    expect($("#save-status").textContent).toBe("Not saved yet — trying again");
    expect(area.value).toBe("My essay about breaks");

    // Navigating away and back still shows the text.
    $("#prev").click();
    $("#next").click();
    expect(($("#answer-text") as HTMLTextAreaElement).value).toBe("My essay about breaks");

    await vi.advanceTimersByTimeAsync(20_000);
    await flush();
    expect(api.saved.q4).toBe("My essay about breaks");
    expect($("#save-status").textContent).toMatch(/^Saved at /);
  });

  it("saves on blur without waiting", async () => {
    await open();
    $("#question-nav [data-question=q3]").click();
    const input = $input("#answer-text");
    input.value = "Jaipur";
    input.dispatchEvent(new Event("input"));
    input.dispatchEvent(new Event("blur"));
    await flush();
    expect(api.saved.q3).toBe("Jaipur");
  });

  it("warns over the essay word limit without cutting the text", async () => {
    await open();
    $("#question-nav [data-question=q4]").click();
    const area = $("#answer-text") as HTMLTextAreaElement;
    const text = Array.from({ length: 152 }, (_, i) => `w${i}`).join(" ");
    area.value = text;
    area.dispatchEvent(new Event("input"));
    expect($("#answer-counter").textContent).toBe("152 of 150 words");
    expect($("#answer-limit").textContent).toMatch(/2 words over the limit of 150/);
    expect($("#answer-limit").getAttribute("aria-live")).toBe("polite");
    expect(area.value).toBe(text);
    expect(area.hasAttribute("maxlength")).toBe(false);
  });
});

describe("exam screen: navigation and flags", () => {
  it("moves between questions, updates aria-current and focuses the heading", async () => {
    await open();
    $("#next").click();
    expect($("#question-heading").textContent).toBe("Question 2 of 4");
    expect(document.activeElement).toBe($("#question-heading"));
    expect(nav("q2").getAttribute("aria-current")).toBe("true");
    expect(nav("q1").hasAttribute("aria-current")).toBe(false);
    nav("q4").click();
    expect($("#question-heading").textContent).toBe("Question 4 of 4");
    expect(($("#next") as HTMLButtonElement).disabled).toBe(true);
    $("#prev").click();
    expect($("#question-heading").textContent).toBe("Question 3 of 4");
  });

  it("flags for review, labels the nav button and keeps flags in sessionStorage", async () => {
    const paper = await open({ saved: { q2: [1] } });
    nav("q2").click();
    const flag = $("#flag-toggle");
    expect(flag.getAttribute("aria-pressed")).toBe("false");
    flag.click();
    expect(flag.getAttribute("aria-pressed")).toBe("true");
    expect(nav("q2").getAttribute("aria-label")).toBe("Question 2, answered, flagged for review");
    expect(JSON.parse(sessionStorage.getItem(flagsKey(paper.session_id)) ?? "[]")).toEqual(["q2"]);

    // A reload of the screen restores the flag.
    screen?.destroy?.();
    document.body.replaceChildren();
    screen = mount(createExamScreen(ctx, { name: "exam", paper }));
    expect(nav("q2").getAttribute("aria-label")).toBe("Question 2, answered, flagged for review");
    nav("q2").click();
    $("#flag-toggle").click();
    expect(nav("q2").getAttribute("aria-label")).toBe("Question 2, answered");
  });
});

describe("exam screen: submit", () => {
  it("lists unanswered and flagged questions in the dialog", async () => {
    await open({ saved: { q1: 0, q3: "Jaipur" } });
    nav("q3").click();
    $("#flag-toggle").click();
    $("#submit-open").click();
    const dialog = $("#submit-dialog");
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect($("#submit-summary").textContent).toBe("You have answered 2 of 4 questions.");
    const unanswered = Array.from(document.querySelectorAll("#submit-unanswered button")).map((b) => b.textContent);
    expect(unanswered).toEqual(["Question 2", "Question 4"]);
    const flagged = Array.from(document.querySelectorAll("#submit-flagged button")).map((b) => b.textContent);
    expect(flagged).toEqual(["Question 3"]);
    expect(document.activeElement).toBe($("#submit-cancel"));
    // The exam behind the dialog is inert (no click or key reaches it) and
    // hidden from assistive technology; the dialog itself is not.
    for (const behind of ["#question-heading", "#submit-open", "#timer"]) {
      const inert = $(behind).closest("[inert]");
      expect(inert, behind).not.toBeNull();
      expect(inert?.getAttribute("aria-hidden"), behind).toBe("true");
    }
    expect(dialog.closest("[inert]")).toBeNull();

    // Going to a listed question closes the dialog, and the exam is live again.
    ($("#submit-unanswered button") as HTMLButtonElement).click();
    expect(dialog.closest(".dialog-overlay")?.hasAttribute("hidden")).toBe(true);
    expect($("#submit-open").closest("[inert]")).toBeNull();
    expect($("#question-heading").textContent).toBe("Question 2 of 4");
  });

  it("cancel and Escape close the dialog without submitting", async () => {
    await open();
    $("#submit-open").click();
    $("#submit-cancel").click();
    expect($("#submit-dialog").closest(".dialog-overlay")?.hasAttribute("hidden")).toBe(true);
    expect(document.activeElement).toBe($("#submit-open"));
    $("#submit-open").click();
    $("#submit-dialog").dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect($("#submit-dialog").closest(".dialog-overlay")?.hasAttribute("hidden")).toBe(true);
    expect(api.callsOf("submit_exam")).toHaveLength(0);
  });

  it("traps Tab inside the dialog", async () => {
    await open();
    $("#submit-open").click();
    const confirm = $("#submit-confirm");
    confirm.focus();
    const ev = new KeyboardEvent("keydown", { key: "Tab", bubbles: true, cancelable: true });
    confirm.dispatchEvent(ev);
    expect(ev.defaultPrevented).toBe(true);
    const focusables = Array.from($("#submit-dialog").querySelectorAll("button"));
    expect(document.activeElement).toBe(focusables[0]);
  });

  it("flushes typed text before submitting, then shows the receipt", async () => {
    await open();
    nav("q3").click();
    const input = $input("#answer-text");
    input.value = "Jaipur";
    input.dispatchEvent(new Event("input"));
    $("#submit-open").click();
    $("#submit-confirm").click();
    await flush(60);
    const names = api.calls.map((c) => c.name).filter((n) => n === "save_answer" || n === "submit_exam");
    expect(names).toEqual(["save_answer", "submit_exam"]);
    expect(api.saved.q3).toBe("Jaipur");
    const route = last(ctx.routes);
    expect(route?.name).toBe("receipt");
    if (route?.name === "receipt") expect(route.timeUp).toBe(false);
  });

  it("does not submit while an answer cannot be saved, and says so", async () => {
    await open();
    nav("q3").click();
    const input = $input("#answer-text");
    input.value = "Jaipur";
    input.dispatchEvent(new Event("input"));
    api.failNextSaves(3);
    $("#submit-open").click();
    $("#submit-confirm").click();
    await flush(60);
    expect(api.callsOf("submit_exam")).toHaveLength(0);
    expect($("#submit-error").textContent).toMatch(/not saved yet/);
    expect(input.value).toBe("Jaipur");
    expect(ctx.routes).toHaveLength(0);
  });
});

describe("exam screen: timer", () => {
  it("counts down from ends_at_ms, announces at 10/5/1 minutes, calm emphasis under 5", async () => {
    await open({ minutes: 12 });
    expect($("#timer").textContent).toBe("Time left 12:00");
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect($("#timer").textContent).toBe("Time left 10:00");
    expect($("#timer-announce").textContent).toBe("10 minutes left.");
    expect($("#timer-announce").getAttribute("aria-live")).toBe("polite");
    expect($("#timer").parentElement?.classList.contains("timer-low")).toBe(false);
    await vi.advanceTimersByTimeAsync(5 * 60_000 + 1000);
    expect($("#timer").textContent).toBe("Time left 04:59");
    expect($("#timer-announce").textContent).toBe("5 minutes left.");
    expect($("#timer").parentElement?.classList.contains("timer-low")).toBe(true);
  });

  it("at zero saves pending text, submits and shows the receipt with time up", async () => {
    await open({ minutes: 1 });
    nav("q3").click();
    const input = $input("#answer-text");
    input.value = "Jaip";
    input.dispatchEvent(new Event("input"));
    await vi.advanceTimersByTimeAsync(60_000);
    await flush(60);
    expect(api.saved.q3).toBe("Jaip");
    expect(api.callsOf("submit_exam")).toHaveLength(1);
    const route = last(ctx.routes);
    expect(route?.name).toBe("receipt");
    if (route?.name === "receipt") expect(route.timeUp).toBe(true);
  });

  it("goes to the receipt when the engine ends the exam", async () => {
    await open();
    screen?.onEngine?.({ event: "ended", reason: "auto_submit", records: 40 });
    await flush(60);
    expect(api.callsOf("sync_status")).toHaveLength(1);
    const route = last(ctx.routes);
    expect(route?.name).toBe("receipt");
    if (route?.name === "receipt") {
      expect(route.receipt.session_id).toBe("demo-session-0001");
      expect(route.receipt.total).toBe(4);
    }
  });
});
