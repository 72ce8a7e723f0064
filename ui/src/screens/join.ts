// 1. Join: unlock the exam with the proctor's start code, or open a join link.

import { errorText, type ExamSummary } from "../api";
import { errorLine, screenRoot, showError, type Ctx, type Screen } from "../context";
import { h, replace, setBusy } from "../dom";
import { chooseLanguage, formatDateTime, formatTime, LOCALES, locale, t } from "../i18n";
import { durationText } from "../timer";

export function examCard(exam: ExamSummary | null): HTMLElement {
  const card = h("section", { id: "exam-card", class: "card", "aria-labelledby": "exam-card-title" });
  if (!exam) {
    replace(
      card,
      h("h2", { id: "exam-card-title" }, t("join-card-heading")),
      h("p", null, t("join-card-hint")),
    );
    return card;
  }
  const opens = new Date(exam.opens_at * 1000);
  const closes = new Date(exam.closes_at * 1000);
  const rows: [string, string][] = [
    [t("join-organiser"), exam.tenant_name],
    [t("join-time-allowed"), durationText(exam.duration_minutes, exam.extra_time_percent)],
    [t("join-open"), t("join-open-window", { from: formatDateTime(opens), to: formatDateTime(closes) })],
  ];
  if (exam.question_count !== null && exam.question_count !== undefined) {
    rows.push([t("join-questions"), String(exam.question_count)]);
  }
  replace(
    card,
    h("h2", { id: "exam-card-title", dir: "auto" }, exam.title),
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
  const joinButton = h("button", { id: "join-button", type: "submit", class: "button-primary" }, t("join-unlock"));
  const codeForm = h(
    "form",
    { id: "join-form", class: "form", novalidate: true },
    h("label", { for: "start-code" }, t("join-code-label")),
    h("p", { id: "start-code-hint", class: "hint" }, t("join-code-hint")),
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
  const linkButton = h("button", { id: "join-link-button", type: "submit" }, t("join-link-open"));
  const linkForm = h(
    "form",
    { id: "join-link-form", class: "form", novalidate: true },
    h("label", { for: "join-link" }, t("join-link-label")),
    linkInput,
    h("div", { class: "actions" }, linkButton),
  );

  const continueButton = h(
    "button",
    { id: "join-continue", type: "button", class: "button-primary", onclick: () => ctx.go({ name: "check", mode: "new" }) },
    t("join-continue"),
  );
  const continueBox = h(
    "div",
    { class: "actions", hidden: !ctx.state.exam?.unlocked },
    h("p", null, t("join-already-unlocked")),
    continueButton,
  );

  // The language, changeable before anything else happens.
  const language = h(
    "select",
    { id: "language", name: "language" },
    Object.entries(LOCALES).map(([tag, info]) => h("option", { value: tag, lang: tag }, info.name)),
  );
  language.value = locale();
  language.addEventListener("change", () => {
    chooseLanguage(language.value);
    ctx.go({ name: "join" });
    document.querySelector<HTMLSelectElement>("#language")?.focus();
  });
  const languageBox = h(
    "div",
    { class: "language-choice" },
    h("label", { for: "language" }, t("join-language")),
    language,
  );

  const root = screenRoot(
    "screen-join",
    t("join-heading"),
    languageBox,
    h("p", { class: "lead" }, t("join-welcome")),
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
    status.textContent = t("join-waiting", { title: summary.title, time: formatTime(from) });
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
      fail(codeForm, t("join-code-missing"));
      codeInput.focus();
      return;
    }
    busy = true;
    showError(error, null);
    setBusy(joinButton, true, t("join-unlocking"));
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
      fail(linkForm, t("join-link-missing"));
      linkInput.focus();
      return;
    }
    busy = true;
    showError(error, null);
    setBusy(linkButton, true, t("join-link-opening"));
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
      status.textContent = t("join-found", { title: summary.title });
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
    title: t("join-title"),
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
