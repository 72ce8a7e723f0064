// 4b. An online exam: the questions are on the organiser's own page, which
// opens in this locked window. Only the exam's allowed sites can be opened
// there; submitting on the page (or the end of the time) ends the exam here
// and brings the receipt.

import { errorText, type ExamPaper } from "../api";
import { APP_NAME, errorLine, formatTime, screenRoot, showError, type Ctx, type Screen } from "../context";
import { h, setBusy } from "../dom";

export function createOnlineScreen(ctx: Ctx, paper: ExamPaper): Screen {
  const site = (paper.online_origin ?? "").replace(/^https?:\/\//, "");
  const error = errorLine("online-error");
  showError(error, null);
  const open = h("button", { id: "online-open", type: "button", class: "button-primary" }, "Open the exam");
  const root = screenRoot(
    "screen-online",
    paper.title,
    paper.instructions ? h("p", { class: "lead" }, paper.instructions) : null,
    h(
      "p",
      { id: "online-where" },
      `The questions are on the organiser's site, ${site}. It opens in this window; only the exam's own pages can be opened.`,
    ),
    h(
      "p",
      { id: "online-time" },
      `Your time ends at ${formatTime(new Date(paper.ends_at_ms))}. Submit on the exam page when you are done: ` +
        "this app then ends the exam and shows your receipt. When the time is up, it ends by itself.",
    ),
    error,
    h("div", { class: "actions" }, open),
  );
  open.addEventListener("click", async () => {
    setBusy(open, true, "Opening…");
    showError(error, null);
    try {
      await ctx.api.openOnlineExam();
    } catch (err) {
      showError(error, errorText(err));
      setBusy(open, false);
    }
  });
  return { root, title: `${paper.title} — ${APP_NAME}` };
}
