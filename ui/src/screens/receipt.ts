// 6. Receipt: the exam was submitted; shows the session, time, answered count
// and where the record is (polled until it is confirmed by the organiser).

import { errorText, type EngineEvent, type SyncState } from "../api";
import { errorLine, screenRoot, showError, type Ctx, type Route, type Screen } from "../context";
import { h, setBusy } from "../dom";
import { formatDateTime, t } from "../i18n";

export const SYNC_POLL_MS = 2000;

export function syncText(state: SyncState, tenant: string): string {
  switch (state) {
    case "synced":
      return t("receipt-synced", { tenant });
    case "pending":
      return t("receipt-pending", { tenant });
    case "offline":
    default:
      return t("receipt-offline");
  }
}

export function answeredText(answered: number, total: number): string {
  return t("receipt-answered", { answered, total });
}

export function createReceiptScreen(ctx: Ctx, route: Extract<Route, { name: "receipt" }>): Screen {
  const r = route.receipt;
  const tenant = ctx.state.exam?.tenant_name || t("receipt-tenant-unknown");
  let destroyed = false;
  let poll: ReturnType<typeof setTimeout> | null = null;
  let synced: SyncState = r.synced;

  const syncLine = h("p", { id: "receipt-sync", class: "receipt-sync", role: "status", "aria-live": "polite" });
  const syncDetail = h("p", { id: "receipt-sync-detail", class: "hint" });
  const quitError = errorLine("quit-error");
  showError(quitError, null);
  const quit = h("button", { id: "quit", type: "button", class: "button-primary" }, t("receipt-close"));

  const note = route.timeUp
    ? h(
        "p",
        { id: "receipt-time-up", class: "note" },
        t("receipt-time-up"),
      )
    : route.endedReason
      ? h("p", { id: "receipt-ended", class: "note" }, t("receipt-ended"))
      : null;

  const root = screenRoot(
    "screen-receipt",
    t("receipt-heading"),
    note,
    h("p", { class: "lead" }, t("receipt-thanks")),
    h(
      "dl",
      { class: "facts receipt-facts card" },
      h("div", { class: "fact" }, h("dt", null, t("receipt-answered-label")), h("dd", { id: "receipt-answered" }, answeredText(r.answered, r.total))),
      h(
        "div",
        { class: "fact" },
        h("dt", null, t("receipt-submitted-label")),
        h("dd", { id: "receipt-time" }, formatDateTime(new Date(r.submitted_at))),
      ),
      h("div", { class: "fact" }, h("dt", null, t("receipt-session-label")), h("dd", { id: "receipt-session", class: "mono" }, r.session_id)),
    ),
    h("h2", null, t("receipt-sending-heading")),
    syncLine,
    syncDetail,
    h("p", { class: "hint" }, t("receipt-keep-session")),
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
    setBusy(quit, true, t("receipt-closing"));
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
    title: t("receipt-title"),
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
