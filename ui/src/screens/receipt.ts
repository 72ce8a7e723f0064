// 6. Receipt: the exam was submitted; shows the session, time, answered count
// and where the record is (polled until it is confirmed by the organiser).

import { errorText, type EngineEvent, type SyncState } from "../api";
import { APP_NAME, errorLine, formatDateTime, screenRoot, showError, type Ctx, type Route, type Screen } from "../context";
import { h, setBusy } from "../dom";

export const SYNC_POLL_MS = 2000;

export function syncText(state: SyncState, tenant: string): string {
  switch (state) {
    case "synced":
      return `Your answers and the exam record reached ${tenant} and were confirmed.`;
    case "pending":
      return `Saved on this computer; sending to ${tenant} — you can leave this open.`;
    case "offline":
    default:
      return "Saved safely on this computer; it will be sent when you are online.";
  }
}

export function answeredText(answered: number, total: number): string {
  return `${answered} of ${total} ${total === 1 ? "question" : "questions"} answered`;
}

export function createReceiptScreen(ctx: Ctx, route: Extract<Route, { name: "receipt" }>): Screen {
  const r = route.receipt;
  const tenant = ctx.state.exam?.tenant_name || "your exam organiser";
  let destroyed = false;
  let poll: ReturnType<typeof setTimeout> | null = null;
  let synced: SyncState = r.synced;

  const syncLine = h("p", { id: "receipt-sync", class: "receipt-sync", role: "status", "aria-live": "polite" });
  const syncDetail = h("p", { id: "receipt-sync-detail", class: "hint" });
  const quitError = errorLine("quit-error");
  showError(quitError, null);
  const quit = h("button", { id: "quit", type: "button", class: "button-primary" }, "Close");

  const note = route.timeUp
    ? h(
        "p",
        { id: "receipt-time-up", class: "note" },
        "Time was up, so your answers were submitted for you. Everything you saved is included.",
      )
    : route.endedReason
      ? h("p", { id: "receipt-ended", class: "note" }, "The exam has ended. Everything you saved is included.")
      : null;

  const root = screenRoot(
    "screen-receipt",
    "Your exam was submitted",
    note,
    h("p", { class: "lead" }, "Thank you. You do not need to do anything else."),
    h(
      "dl",
      { class: "facts receipt-facts card" },
      h("div", { class: "fact" }, h("dt", null, "Answered"), h("dd", { id: "receipt-answered" }, answeredText(r.answered, r.total))),
      h(
        "div",
        { class: "fact" },
        h("dt", null, "Submitted"),
        h("dd", { id: "receipt-time" }, formatDateTime(new Date(r.submitted_at))),
      ),
      h("div", { class: "fact" }, h("dt", null, "Session"), h("dd", { id: "receipt-session", class: "mono" }, r.session_id)),
    ),
    h("h2", null, "Sending your exam"),
    syncLine,
    syncDetail,
    h("p", { class: "hint" }, "Keep the session number above in case your exam organiser asks for it."),
    h("div", { class: "actions" }, quit),
    quitError,
  );

  const renderSync = (state: SyncState, message: string) => {
    synced = state;
    syncLine.dataset.sync = state;
    const text = syncText(state, tenant);
    if (syncLine.textContent !== text) syncLine.textContent = text;
    // The detail adds what the line does not say (when this computer's copy
    // goes, why it was not sent); "sending…" it would only say twice.
    syncDetail.textContent = state !== "pending" && message && message !== text ? message : "";
    syncDetail.hidden = syncDetail.textContent === "";
  };

  const schedule = () => {
    if (destroyed || synced === "synced" || poll !== null) return;
    poll = setTimeout(() => {
      poll = null;
      void refresh();
    }, SYNC_POLL_MS);
  };

  const refresh = async () => {
    try {
      const s = await ctx.api.syncStatus();
      if (destroyed) return;
      renderSync(s.synced, s.message);
    } catch {
      /* keep showing the last known state; try again later */
    }
    schedule();
  };

  quit.addEventListener("click", async () => {
    showError(quitError, null);
    setBusy(quit, true, "Closing…");
    try {
      await ctx.api.quitApp();
    } catch (err) {
      if (destroyed) return;
      showError(quitError, errorText(err));
      setBusy(quit, false);
    }
  });

  renderSync(r.synced, r.message);
  schedule();

  return {
    root,
    title: `Exam submitted — ${APP_NAME}`,
    destroy() {
      destroyed = true;
      if (poll !== null) clearTimeout(poll);
      poll = null;
    },
    onEngine(e: EngineEvent) {
      if (e.event === "uploaded") {
        if (poll !== null) clearTimeout(poll);
        poll = null;
        void refresh();
      }
    },
  };
}
