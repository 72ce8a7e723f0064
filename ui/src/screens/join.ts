// 1. Join: unlock the exam with the proctor's start code, or open a join link.

import { errorText, type ExamSummary } from "../api";
import { APP_NAME, errorLine, formatDateTime, formatTime, screenRoot, showError, type Ctx, type Screen } from "../context";
import { h, replace, setBusy } from "../dom";
import { durationText } from "../timer";

export function examCard(exam: ExamSummary | null): HTMLElement {
  const card = h("section", { id: "exam-card", class: "card", "aria-labelledby": "exam-card-title" });
  if (!exam) {
    replace(
      card,
      h("h2", { id: "exam-card-title" }, "Your exam"),
      h("p", null, "Enter the start code from your proctor, or paste the join link you were sent."),
    );
    return card;
  }
  const opens = new Date(exam.opens_at * 1000);
  const closes = new Date(exam.closes_at * 1000);
  const rows: [string, string][] = [
    ["Organiser", exam.tenant_name],
    ["Time allowed", durationText(exam.duration_minutes, exam.extra_time_percent)],
    ["Open", `from ${formatDateTime(opens)} to ${formatDateTime(closes)}`],
  ];
  if (exam.question_count !== null && exam.question_count !== undefined) {
    rows.push(["Questions", String(exam.question_count)]);
  }
  replace(
    card,
    h("h2", { id: "exam-card-title" }, exam.title),
    h(
      "dl",
      { class: "facts" },
      rows.map(([k, v]) => h("div", { class: "fact" }, h("dt", null, k), h("dd", null, v))),
    ),
  );
  return card;
}

export function createJoinScreen(ctx: Ctx): Screen {
  const launch = ctx.state.launch;
  let card = examCard(ctx.state.exam);

  const error = errorLine("join-error");
  showError(error, null);
  const status = h("p", { id: "join-status", class: "note", role: "status", "aria-live": "polite" });

  // Start code form
  const codeInput = h("input", {
    id: "start-code",
    name: "start-code",
    type: "text",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    "aria-describedby": "start-code-hint",
    required: true,
  });
  const joinButton = h("button", { id: "join-button", type: "submit", class: "button-primary" }, "Unlock the exam");
  const codeForm = h(
    "form",
    { id: "join-form", class: "form", novalidate: true },
    h("label", { for: "start-code" }, "Start code from your proctor"),
    h("p", { id: "start-code-hint", class: "hint" }, "It looks like ABCD-EFGH-JKMN. Capital or small letters both work."),
    codeInput,
    h("div", { class: "actions" }, joinButton),
  );

  // Join link form
  const linkInput = h("input", {
    id: "join-link",
    name: "join-link",
    type: "text",
    inputmode: "url",
    autocomplete: "off",
    spellcheck: "false",
  });
  const linkButton = h("button", { id: "join-link-button", type: "submit" }, "Open the link");
  const linkForm = h(
    "form",
    { id: "join-link-form", class: "form", novalidate: true },
    h("label", { for: "join-link" }, "Or paste your join link"),
    linkInput,
    h("div", { class: "actions" }, linkButton),
  );

  const continueButton = h(
    "button",
    { id: "join-continue", type: "button", class: "button-primary", onclick: () => ctx.go({ name: "check", mode: "new" }) },
    "Continue to the system check",
  );
  const continueBox = h(
    "div",
    { class: "actions", hidden: !ctx.state.exam?.unlocked },
    h("p", null, "This exam is already unlocked."),
    continueButton,
  );

  const root = screenRoot(
    "screen-join",
    "Join your exam",
    h("p", { class: "lead" }, `Welcome to ${APP_NAME}. Let's get you ready.`),
    card,
    continueBox,
    codeForm,
    error,
    linkForm,
    status,
  );

  let busy = false;
  let destroyed = false;
  let waitTimer: ReturnType<typeof setTimeout> | undefined;

  /** Shows the error right after the form whose action failed. */
  const fail = (form: HTMLElement, message: string) => {
    form.after(error);
    showError(error, message);
  };

  const unlocked = (summary: ExamSummary) => {
    ctx.state.exam = summary;
    ctx.go({ name: "check", mode: "new" });
  };

  /**
   * Joined by link before the exam opens: say when, and ask the server again
   * every few seconds (never more than every 15 s) until the questions come.
   */
  const waitForOpening = (summary: ExamSummary) => {
    const from = new Date((summary.questions_from ?? 0) * 1000);
    status.textContent =
      `You have joined “${summary.title}”. It opens at ${formatTime(from)}. ` +
      "Keep this window open: it continues by itself when the exam opens.";
    clearTimeout(waitTimer);
    const delay = Math.min(15_000, Math.max(2_000, from.getTime() - Date.now()));
    waitTimer = setTimeout(async () => {
      if (destroyed) return;
      try {
        const next = await ctx.api.openJoinedExam();
        if (destroyed) return;
        showError(error, null);
        if (next.unlocked) unlocked(next);
        else waitForOpening(next);
      } catch (err) {
        if (destroyed) return;
        // A network hiccup while waiting is said, and the wait goes on.
        fail(linkForm, errorText(err));
        waitForOpening(summary);
      }
    }, delay);
  };

  codeForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    const code = codeInput.value.trim();
    if (!code) {
      fail(codeForm, "Please type the start code your proctor gave you.");
      codeInput.focus();
      return;
    }
    busy = true;
    showError(error, null);
    setBusy(joinButton, true, "Unlocking…");
    try {
      const summary = await ctx.api.unlockExam(code);
      if (destroyed) return;
      unlocked(summary);
    } catch (err) {
      if (destroyed) return;
      fail(codeForm, errorText(err));
      codeInput.focus();
    } finally {
      busy = false;
      if (!destroyed) setBusy(joinButton, false);
    }
  });

  const joinLink = async (link: string) => {
    if (busy) return;
    if (!link) {
      fail(linkForm, "Please paste the join link first.");
      linkInput.focus();
      return;
    }
    busy = true;
    showError(error, null);
    setBusy(linkButton, true, "Opening…");
    try {
      const summary = await ctx.api.joinWithLink(link);
      if (destroyed) return;
      ctx.state.exam = summary;
      if (summary.unlocked) {
        unlocked(summary);
        return;
      }
      const fresh = examCard(summary);
      card.replaceWith(fresh);
      card = fresh;
      if (summary.questions_from != null) {
        waitForOpening(summary);
        return;
      }
      status.textContent = `Found “${summary.title}”. Now type the start code from your proctor to unlock it.`;
      codeInput.focus();
    } catch (err) {
      if (destroyed) return;
      fail(linkForm, errorText(err));
      linkInput.focus();
    } finally {
      busy = false;
      if (!destroyed) setBusy(linkButton, false);
    }
  };

  linkForm.addEventListener("submit", (e) => {
    e.preventDefault();
    void joinLink(linkInput.value.trim());
  });

  // An exam joined by link before a restart: wait for its opening again.
  if (ctx.state.exam && !ctx.state.exam.unlocked && ctx.state.exam.questions_from != null) {
    const exam = ctx.state.exam;
    queueMicrotask(() => waitForOpening(exam));
  }

  // A link handed over at launch is used straight away.
  if (launch?.join_link) {
    linkInput.value = launch.join_link;
    const link = launch.join_link;
    ctx.state.launch = { ...launch, join_link: null }; // use it once
    queueMicrotask(() => void joinLink(link));
  }

  return {
    root,
    title: `Join your exam — ${APP_NAME}`,
    destroy() {
      destroyed = true;
      clearTimeout(waitTimer);
    },
    onJoinLink(link: string) {
      linkInput.value = link;
      void joinLink(link.trim());
    },
  };
}
