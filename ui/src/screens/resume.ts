// 2. Resume: the exam was interrupted; answers are saved. Optionally asks for a
// proctor code. Then the system check runs again, then start_exam (consent was
// already given).

import { errorLine, formatDateTime, screenRoot, showError, type Ctx, type Route, type Screen } from "../context";
import { t } from "../i18n";
import { h } from "../dom";

export function createResumeScreen(ctx: Ctx, route: Extract<Route, { name: "resume" }>): Screen {
  const info = ctx.state.launch?.resume ?? null;
  const stopped = info ? formatDateTime(new Date(info.stopped_at)) : t("resume-earlier");
  const needsCode = info?.needs_proctor_code ?? false;

  const error = errorLine("resume-error");
  showError(error, route.error ?? null);

  const codeInput = needsCode
    ? h("input", {
        id: "resume-proctor-code",
        type: "text",
        autocomplete: "off",
        autocapitalize: "characters",
        spellcheck: "false",
        "aria-describedby": "resume-proctor-hint",
        required: true,
      })
    : null;
  if (codeInput && route.code) codeInput.value = route.code;

  const button = h("button", { id: "resume-button", type: "submit", class: "button-primary" }, t("resume-button"));
  const form = h(
    "form",
    { id: "resume-form", class: "form", novalidate: true },
    codeInput
      ? [
          h("label", { for: "resume-proctor-code" }, t("resume-code-label")),
          h(
            "p",
            { id: "resume-proctor-hint", class: "hint" },
            t("resume-code-hint"),
          ),
          codeInput,
        ]
      : null,
    h("div", { class: "actions" }, button),
    error,
  );

  const root = screenRoot(
    "screen-resume",
    t("resume-heading"),
    info ? h("p", { class: "lead" }, info.exam_title) : null,
    h("p", { id: "resume-message" }, t("resume-interrupted", { time: stopped })),
    h("p", null, t("resume-check-again")),
    form,
  );

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    let code: string | undefined;
    if (codeInput) {
      code = codeInput.value.trim();
      if (!code) {
        showError(error, t("resume-code-missing"));
        codeInput.focus();
        return;
      }
    }
    ctx.state.proctorCode = code;
    ctx.go({ name: "check", mode: "resume" });
  });

  return { root, title: t("resume-title") };
}
