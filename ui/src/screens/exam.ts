// 5. Exam runner: timer, question navigation, answer inputs with autosave,
// flags, and the submit dialog.

import { errorText, type Answer, type EngineEvent, type Question, type SubmitReceipt } from "../api";
import { charCounterText, countChars, countWords, overLimitText, toggleChoice, wordCounterText } from "../answers";
import { Autosaver, saveStatusText, type AutosaveOptions, type SaveState } from "../autosave";
import { TypingMeter } from "../typing";
import { installPrivateClipboard } from "../clipboard";
import { errorLine, screenRoot, showError, type Ctx, type Route, type Screen } from "../context";
import { formatNumber, t } from "../i18n";
import { Dialog } from "../dialog";
import { h, replace, setBusy } from "../dom";
import { ExamState, navLabel, type QuestionSummary } from "../examState";
import { LOW_TIME_SECONDS, TimeAnnouncer, secondsLeft, timerText } from "../timer";

export interface ExamScreenOptions {
  autosave?: AutosaveOptions;
  /** Timer refresh interval. */
  tickMs?: number;
}

export const TICK_MS = 500;

export function pointsText(points: number): string {
  return t("exam-points", { points });
}

export function createExamScreen(
  ctx: Ctx,
  route: Extract<Route, { name: "exam" }>,
  opts: ExamScreenOptions = {},
): Screen {
  const paper = route.paper;
  const state = new ExamState(paper);
  let destroyed = false;
  let finishing = false;
  let tick: ReturnType<typeof setInterval> | null = null;

  // ---- save status --------------------------------------------------------
  const saveStatus = h("p", { id: "save-status", class: "save-status", role: "status", "aria-live": "polite" });
  const onSaveState = (s: SaveState) => {
    if (destroyed) return;
    const text = saveStatusText(s);
    if (saveStatus.textContent !== text) saveStatus.textContent = text;
    saveStatus.dataset.state = s.state;
  };
  const typing = new TypingMeter();
  const saver = new Autosaver(
    (q, a) => {
      const sample = typing.take(q);
      return ctx.api.saveAnswer(q, a, sample).catch((e: unknown) => {
        if (sample) typing.giveBack(q, sample);
        throw e;
      });
    },
    onSaveState,
    opts.autosave,
  );

  // ---- header and timer ---------------------------------------------------
  const timer = h("p", { id: "timer", class: "timer", role: "timer", "aria-live": "off", "aria-atomic": "true" });
  const timerAnnounce = h("p", { id: "timer-announce", class: "visually-hidden", "aria-live": "polite" });
  const timerBox = h(
    "div",
    { class: "timer-box" },
    timer,
    paper.extra_time_percent > 0
      ? h("p", { id: "timer-extra", class: "hint" }, t("exam-extra-time", { percent: paper.extra_time_percent }))
      : null,
  );
  const announcer = new TimeAnnouncer(secondsLeft(paper.ends_at_ms, Date.now()));

  const instructions = h(
    "details",
    { id: "instructions", class: "instructions", open: true },
    h("summary", null, t("exam-instructions")),
    h("p", { class: "text-block", dir: paper.instructions ? "auto" : null }, paper.instructions || t("exam-instructions-default")),
  );

  // ---- navigation ---------------------------------------------------------
  const navList = h("ol", { class: "nav-list" });
  const navButtons = new Map<string, HTMLButtonElement>();
  for (const s of state.summaries()) {
    const b = h("button", { type: "button", class: "nav-button", "data-question": s.question.id });
    b.addEventListener("click", () => goTo(state.indexOf(s.question.id)));
    navButtons.set(s.question.id, b);
    navList.append(h("li", null, b));
  }
  const nav = h(
    "nav",
    { id: "question-nav", class: "question-nav", "aria-label": t("exam-questions") },
    h("h2", { class: "nav-title" }, t("exam-questions")),
    navList,
    h(
      "p",
      // Visual key only: each button's aria-label says the same in words.
      { class: "hint nav-legend", "aria-hidden": "true" },
      t("exam-nav-legend"),
    ),
  );

  const updateNav = () => {
    for (const s of state.summaries()) {
      const b = navButtons.get(s.question.id);
      if (!b) continue;
      replace(
        b,
        h("span", { class: "nav-number" }, formatNumber(s.number)),
        h("span", { class: "nav-mark", "aria-hidden": "true" }, s.answered ? "✓" : ""),
        h("span", { class: "nav-flag", "aria-hidden": "true" }, s.flagged ? "⚑" : ""),
      );
      b.setAttribute("aria-label", navLabel(s));
      b.dataset.answered = String(s.answered);
      b.dataset.flagged = String(s.flagged);
      if (state.current === s.number - 1) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    }
  };

  // ---- question area ------------------------------------------------------
  const qHeading = h("h2", { id: "question-heading", tabindex: "-1" });
  const qPoints = h("p", { id: "question-points", class: "points" });
  // The exam's own text keeps its direction whatever the page's language.
  const qPrompt = h("p", { id: "question-prompt", class: "prompt text-block", dir: "auto" });
  const answerArea = h("div", { id: "answer-area", class: "answer-area" });
  const flagButton = h("button", { id: "flag-toggle", type: "button", "aria-pressed": "false" });
  const prevButton = h("button", { id: "prev", type: "button" }, t("exam-previous"));
  const nextButton = h("button", { id: "next", type: "button" }, t("exam-next"));
  const timeUpNote = h("p", {
    id: "time-up-note",
    class: "note note-strong",
    role: "status",
    tabindex: "-1",
    hidden: true,
  });
  const finishError = errorLine("finish-error");
  showError(finishError, null);
  const submitOpen = h("button", { id: "submit-open", type: "button", class: "button-primary" }, t("exam-submit-open"));

  const questionSection = h(
    "section",
    { id: "question", class: "question card", "aria-labelledby": "question-heading" },
    h("div", { class: "question-head" }, qHeading, qPoints),
    qPrompt,
    answerArea,
    h(
      "div",
      { class: "question-tools" },
      flagButton,
      h("div", { class: "prev-next" }, prevButton, nextButton),
    ),
    saveStatus,
  );

  const workArea = h(
    "div",
    { class: "exam-layout" },
    nav,
    h(
      "div",
      { class: "exam-main" },
      instructions,
      questionSection,
      h(
        "div",
        { class: "finish card" },
        h("p", null, t("exam-finish-hint")),
        submitOpen,
      ),
    ),
  );

  const root = screenRoot(
    "screen-exam",
    paper.title,
    h("div", { class: "exam-header" }, timerBox, timerAnnounce),
    paper.resumed
      ? h("p", { class: "note", id: "resumed-note" }, t("exam-resumed"))
      : null,
    timeUpNote,
    finishError,
    workArea,
  );
  // The <h1> sits in the header next to the timer.
  const h1 = root.querySelector("h1") as HTMLElement;
  h1.dir = "auto";
  root.querySelector(".exam-header")?.prepend(h1);

  // ---- answer inputs ------------------------------------------------------
  const answerChanged = (q: Question, a: Answer, immediate: boolean) => {
    state.setAnswer(q.id, a);
    if (immediate) saver.saveNow(q.id, a);
    else saver.saveLater(q.id, a);
    updateNav();
  };

  const renderChoices = (q: Question, multiple: boolean): HTMLElement => {
    const current = state.answers.get(q.id);
    const fs = h(
      "fieldset",
      { class: "choices", "aria-describedby": "question-prompt" },
      h("legend", null, t(multiple ? "exam-choose-all" : "exam-choose-one")),
    );
    (q.choices ?? []).forEach((text, i) => {
      const id = `choice-${i}`;
      const checked = multiple ? Array.isArray(current) && current.includes(i) : current === i;
      const input = h("input", {
        type: multiple ? "checkbox" : "radio",
        name: "answer",
        id,
        value: String(i),
        "data-choice": String(i),
        checked,
      });
      input.addEventListener("change", () => {
        if (multiple) {
          answerChanged(q, toggleChoice(state.answers.get(q.id), i, input.checked), true);
        } else if (input.checked) {
          answerChanged(q, i, true);
        }
      });
      fs.append(h("div", { class: "choice" }, input, h("label", { for: id, dir: "auto" }, text)));
    });
    return fs;
  };

  const renderText = (q: Question): HTMLElement => {
    const essay = q.kind === "essay";
    const value = typeof state.answers.get(q.id) === "string" ? (state.answers.get(q.id) as string) : "";
    const counter = h("p", { id: "answer-counter", class: "counter", "aria-live": "off" });
    const limitNote = h("p", { id: "answer-limit", class: "note", "aria-live": "polite" });
    const field = essay
      ? h("textarea", {
          id: "answer-text",
          dir: "auto",
          rows: 12,
          spellcheck: "false",
          "aria-describedby": "question-prompt answer-counter answer-limit",
        })
      : h("input", {
          id: "answer-text",
          dir: "auto",
          type: "text",
          autocomplete: "off",
          spellcheck: "false",
          maxlength: q.max_chars && q.max_chars > 0 ? String(q.max_chars) : null,
          "aria-describedby": "question-prompt answer-counter",
        });
    field.value = value;
    let over = false;
    const updateCounter = () => {
      if (essay) {
        const words = countWords(field.value);
        counter.textContent = wordCounterText(words, q.max_words);
        const note = q.max_words ? overLimitText(words, q.max_words) : null;
        counter.classList.toggle("counter-over", note !== null);
        if ((note !== null) !== over) {
          over = note !== null;
          limitNote.textContent = note ?? "";
        } else if (note !== null && limitNote.textContent !== note) {
          limitNote.textContent = note;
        }
        limitNote.hidden = note === null;
      } else {
        const chars = countChars(field.value);
        counter.textContent = charCounterText(chars, q.max_chars);
        counter.classList.toggle("counter-over", !!q.max_chars && chars >= q.max_chars);
      }
    };
    field.addEventListener("input", (e) => {
      if (e instanceof InputEvent) typing.input(q.id, e);
      updateCounter();
      answerChanged(q, field.value, false);
    });
    field.addEventListener("blur", () => saver.commit(q.id));
    updateCounter();
    return h(
      "div",
      { class: "text-answer" },
      h("label", { for: "answer-text" }, t("exam-your-answer")),
      field,
      counter,
      essay ? limitNote : null,
    );
  };

  const renderQuestion = () => {
    const q = state.question;
    qHeading.textContent = t("exam-question-of", { number: state.current + 1, total: state.questions.length });
    qPoints.textContent = pointsText(q.points);
    qPrompt.textContent = q.prompt;
    let input: HTMLElement;
    switch (q.kind) {
      case "single_choice":
        input = renderChoices(q, false);
        break;
      case "multiple_choice":
        input = renderChoices(q, true);
        break;
      default:
        input = renderText(q);
    }
    replace(answerArea, input);
    const flagged = state.isFlagged(q.id);
    flagButton.setAttribute("aria-pressed", String(flagged));
    replace(flagButton, h("span", { "aria-hidden": "true" }, "⚑ "), t(flagged ? "exam-flagged" : "exam-flag"));
    prevButton.disabled = state.current === 0;
    nextButton.disabled = state.current === state.questions.length - 1;
    updateNav();
  };

  const goTo = (index: number) => {
    const from = state.question.id;
    if (!state.goTo(index)) return;
    saver.commit(from);
    renderQuestion();
    qHeading.focus();
  };

  flagButton.addEventListener("click", () => {
    const q = state.question;
    const flagged = state.toggleFlag(q.id);
    flagButton.setAttribute("aria-pressed", String(flagged));
    replace(flagButton, h("span", { "aria-hidden": "true" }, "⚑ "), t(flagged ? "exam-flagged" : "exam-flag"));
    updateNav();
  });
  prevButton.addEventListener("click", () => goTo(state.current - 1));
  nextButton.addEventListener("click", () => goTo(state.current + 1));

  // ---- timer --------------------------------------------------------------
  const renderTimer = () => {
    const left = secondsLeft(paper.ends_at_ms, Date.now());
    const text = timerText(left);
    if (timer.textContent !== text) timer.textContent = text;
    timerBox.classList.toggle("timer-low", left < LOW_TIME_SECONDS);
    const say = announcer.check(left);
    if (say) timerAnnounce.textContent = say;
    if (left <= 0) void finish("time");
  };

  // ---- finishing ----------------------------------------------------------
  const toReceipt = (receipt: SubmitReceipt, timeUp: boolean, endedReason?: string) => {
    if (destroyed) return;
    ctx.go({ name: "receipt", receipt, timeUp, endedReason });
  };

  const localReceipt = async (): Promise<SubmitReceipt> => {
    const s = await ctx.api.syncStatus();
    return {
      session_id: paper.session_id,
      submitted_at: new Date().toISOString(),
      answered: state.answeredCount(),
      total: state.questions.length,
      seq: 0,
      synced: s.synced,
      cosigned_size: s.cosigned_size,
      records: s.records,
      message: s.message,
    };
  };

  const lockWork = () => {
    workArea.setAttribute("inert", "");
    workArea.setAttribute("aria-hidden", "true");
    for (const el of workArea.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLButtonElement>(
      "input, textarea, button",
    )) {
      el.disabled = true;
    }
    submitDialog.close();
  };

  /** Time up (or the engine ended the exam): save, submit, show the receipt. */
  const finish = async (why: "time" | "ended", endedReason?: string) => {
    if (finishing || destroyed) return;
    finishing = true;
    if (tick !== null) clearInterval(tick);
    tick = null;
    lockWork();
    timeUpNote.hidden = false;
    timeUpNote.textContent =
      why === "time"
        ? t("exam-time-up")
        : t("exam-ended");
    // The inputs are now disabled; keep focus somewhere meaningful.
    timeUpNote.focus();
    if (!(await saver.flush())) await saver.flush();
    try {
      if (why === "time") {
        let receipt: SubmitReceipt;
        try {
          receipt = await ctx.api.submitExam();
        } catch {
          // The engine may have submitted on its own already.
          receipt = await localReceipt();
        }
        toReceipt(receipt, true);
      } else {
        toReceipt(await localReceipt(), endedReason === "time_up", endedReason);
      }
    } catch (err) {
      if (destroyed) return;
      timeUpNote.textContent = t("exam-saved-here");
      const retry = h("button", { id: "finish-retry", type: "button" }, t("try-again"));
      retry.addEventListener("click", () => {
        finishing = false;
        showError(finishError, null);
        void finish(why, endedReason);
      });
      showError(finishError, errorText(err));
      finishError.append(" ", retry);
    }
  };

  // ---- submit dialog ------------------------------------------------------
  const submitDialog = new Dialog({
    id: "submit-dialog",
    title: t("submit-heading"),
    initialFocus: () => document.getElementById("submit-cancel"),
    returnFocus: () => submitOpen,
  });
  const submitError = errorLine("submit-error");

  const questionLinks = (id: string, items: QuestionSummary[]) =>
    h(
      "ul",
      { id, class: "link-list", hidden: items.length === 0 },
      items.map((s) =>
        h(
          "li",
          null,
          h(
            "button",
            {
              type: "button",
              class: "button-link",
              "data-goto": s.question.id,
              onclick: () => {
                submitDialog.close();
                goTo(state.indexOf(s.question.id));
              },
            },
            t("exam-nav-question", { number: s.number }),
          ),
        ),
      ),
    );

  const openSubmit = () => {
    if (finishing) return;
    // Text typed in the last 600 ms goes out now.
    saver.commit(state.question.id);
    const unanswered = state.unanswered();
    const flagged = state.flagged();
    const total = state.questions.length;
    const confirm = h("button", { id: "submit-confirm", type: "button", class: "button-primary" }, t("submit-now"));
    const cancel = h("button", { id: "submit-cancel", type: "button" }, t("submit-keep-working"));
    showError(submitError, null);
    replace(
      submitDialog.body,
      h("p", { id: "submit-summary" }, t("submit-summary", { answered: total - unanswered.length, total })),
      h("h3", null, t("submit-not-answered")),
      unanswered.length === 0 ? h("p", { class: "note" }, t("submit-all-answered")) : null,
      questionLinks("submit-unanswered", unanswered),
      h("h3", null, t("submit-flagged")),
      flagged.length === 0 ? h("p", { class: "note" }, t("submit-none-flagged")) : null,
      questionLinks("submit-flagged", flagged),
      h("p", null, t("submit-final")),
      submitError,
      h("div", { class: "actions actions-end" }, cancel, confirm),
    );
    cancel.addEventListener("click", () => submitDialog.close());
    confirm.addEventListener("click", async () => {
      if (finishing) return;
      finishing = true;
      setBusy(confirm, true, t("submit-submitting"));
      cancel.disabled = true;
      showError(submitError, null);
      try {
        const saved = await saver.flush();
        if (!saved) throw t("submit-not-saved");
        const receipt = await ctx.api.submitExam();
        if (tick !== null) clearInterval(tick);
        tick = null;
        submitDialog.close();
        toReceipt(receipt, false);
      } catch (err) {
        finishing = false;
        if (destroyed) return;
        showError(submitError, errorText(err));
        setBusy(confirm, false);
        cancel.disabled = false;
        confirm.focus();
      }
    });
    submitDialog.open();
  };
  submitOpen.addEventListener("click", openSubmit);

  // ---- start --------------------------------------------------------------
  const removeClipboard = paper.private_clipboard ? installPrivateClipboard(document) : null;
  renderQuestion();
  renderTimer();
  if (!finishing) tick = setInterval(renderTimer, opts.tickMs ?? TICK_MS);

  return {
    root,
    title: t("page-title", { title: paper.title }),
    destroy() {
      destroyed = true;
      if (tick !== null) clearInterval(tick);
      tick = null;
      saver.stop();
      submitDialog.destroy();
      removeClipboard?.();
    },
    onEngine(e: EngineEvent) {
      if (e.event === "ended") void finish("ended", e.reason);
    },
  };
}
