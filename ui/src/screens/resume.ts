// 2. Resume: the exam was interrupted; answers are saved. Optionally asks for a
// proctor code. Then the system check runs again, then start_exam (consent was
// already given).

import { APP_NAME, errorLine, formatDateTime, screenRoot, showError, type Ctx, type Route, type Screen } from "../context";
import { h } from "../dom";

export function createResumeScreen(ctx: Ctx, route: Extract<Route, { name: "resume" }>): Screen {
  const info = ctx.state.launch?.resume ?? null;
  const stopped = info ? formatDateTime(new Date(info.stopped_at)) : "an earlier time";
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

  const button = h("button", { id: "resume-button", type: "submit", class: "button-primary" }, "Resume the exam");
  const form = h(
    "form",
    { id: "resume-form", class: "form", novalidate: true },
    codeInput
      ? [
          h("label", { for: "resume-proctor-code" }, "Proctor code"),
          h(
            "p",
            { id: "resume-proctor-hint", class: "hint" },
            "Please ask your proctor for a code to continue. This is normal after an interruption.",
          ),
          codeInput,
        ]
      : null,
    h("div", { class: "actions" }, button),
    error,
  );

  const root = screenRoot(
    "screen-resume",
    "Welcome back",
    info ? h("p", { class: "lead" }, info.exam_title) : null,
    h("p", { id: "resume-message" }, `Your exam was interrupted at ${stopped}. Your answers are saved.`),
    h("p", null, "We will quickly check your computer again, then you can carry on where you left off."),
    form,
  );

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    let code: string | undefined;
    if (codeInput) {
      code = codeInput.value.trim();
      if (!code) {
        showError(error, "Please type the proctor code first.");
        codeInput.focus();
        return;
      }
    }
    ctx.state.proctorCode = code;
    ctx.go({ name: "check", mode: "resume" });
  });

  return { root, title: `Resume your exam — ${APP_NAME}` };
}
