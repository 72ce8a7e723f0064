// 4b. An online exam: the questions are on the organiser's own page, which
// opens in this locked window. Only the exam's allowed sites can be opened
// there; submitting on the page (or the end of the time) ends the exam here
// and brings the receipt.

import { errorText, type ExamPaper } from "../api";
import { errorLine, formatTime, screenRoot, showError, type Ctx, type Screen } from "../context";
import { t } from "../i18n";
import { h, setBusy } from "../dom";

export function createOnlineScreen(ctx: Ctx, paper: ExamPaper): Screen {
  const site = (paper.online_origin ?? "").replace(/^https?:\/\//, "");
  const error = errorLine("online-error");
  showError(error, null);
  const open = h("button", { id: "online-open", type: "button", class: "button-primary" }, t("online-open"));
  const root = screenRoot(
    "screen-online",
    paper.title,
    paper.instructions ? h("p", { class: "lead" }, paper.instructions) : null,
    h(
      "p",
      { id: "online-where" },
      t("online-where", { site }),
    ),
    h(
      "p",
      { id: "online-time" },
      t("online-time", { time: formatTime(new Date(paper.ends_at_ms)) }),
    ),
    error,
    h("div", { class: "actions" }, open),
  );
  open.addEventListener("click", async () => {
    setBusy(open, true, t("online-opening"));
    showError(error, null);
    try {
      await ctx.api.openOnlineExam();
    } catch (err) {
      showError(error, errorText(err));
      setBusy(open, false);
    }
  });
  return { root, title: t("page-title", { title: paper.title }) };
}
