// 3. System check: the report from run_system_check, a live camera preview and
// a microphone meter. Continue is disabled while any item is blocking.

import { errorCode, errorText, type CameraPreview, type CheckItem, type CheckReport, type Status } from "../api";
import { errorLine, screenRoot, showError, type Ctx, type Route, type Screen } from "../context";
import { h, replace, setBusy } from "../dom";
import { t } from "../i18n";

export const CAMERA_POLL_MS = 1000;
export const MIC_POLL_MS = 250;

const STATUS_WORD: Record<Status, string> = {
  ok: "check-status-ok",
  warning: "check-status-warning",
  blocking: "check-status-blocking",
};

const STATUS_ICON: Record<Status, string> = {
  ok: "✓",
  warning: "!",
  blocking: "✕",
};

export function hasBlocking(report: CheckReport | null): boolean {
  return !!report && report.items.some((i) => i.status === "blocking");
}

export function checkItemElement(item: CheckItem): HTMLLIElement {
  const status: Status = item.status in STATUS_WORD ? item.status : "warning";
  return h(
    "li",
    { class: "check-item", "data-check-id": item.id, "data-status": status },
    h("span", { class: "check-icon", "aria-hidden": "true" }, STATUS_ICON[status]),
    h(
      "div",
      { class: "check-body" },
      h(
        "h3",
        { class: "check-title" },
        item.title,
        h("span", { class: "visually-hidden" }, ": "),
        h("span", { class: "check-status" }, t(STATUS_WORD[status])),
      ),
      item.detail ? h("p", { class: "check-detail" }, item.detail) : null,
      status !== "ok" && item.fix ? h("p", { class: "check-fix" }, t("check-how-to-fix", { fix: item.fix })) : null,
    ),
  );
}

export function summaryText(report: CheckReport): string {
  const count = (s: Status) => report.items.filter((i) => i.status === s).length;
  const blocking = count("blocking");
  const warning = count("warning");
  if (blocking > 0) return t("check-done-blocking", { count: blocking });
  if (warning > 0) return t("check-done-warning", { count: warning });
  return t("check-done-ok");
}

/** Draws the camera image and a rectangle around each face. */
export function drawPreview(canvas: HTMLCanvasElement, preview: CameraPreview): void {
  let g: CanvasRenderingContext2D | null = null;
  try {
    g = canvas.getContext("2d");
  } catch {
    g = null;
  }
  if (!g) return;
  const ctx2d = g;
  const width = preview.width > 0 ? preview.width : canvas.width;
  const height = preview.height > 0 ? preview.height : canvas.height;
  if (!preview.image) {
    canvas.width = width;
    canvas.height = height;
    ctx2d.fillStyle = "#3a3f44";
    ctx2d.fillRect(0, 0, width, height);
    return;
  }
  const img = new Image();
  img.onload = () => {
    canvas.width = width;
    canvas.height = height;
    ctx2d.drawImage(img, 0, 0, width, height);
    const line = Math.max(2, Math.round(width / 160));
    for (const f of preview.faces) {
      // Dark outline under a bright line: visible on light and dark pictures.
      ctx2d.lineWidth = line + 2;
      ctx2d.strokeStyle = "#000000";
      ctx2d.strokeRect(f.x, f.y, f.width, f.height);
      ctx2d.lineWidth = line;
      ctx2d.strokeStyle = "#ffd60a";
      ctx2d.strokeRect(f.x, f.y, f.width, f.height);
    }
  };
  img.src = preview.image;
}

/** Maps dBFS to the meter range -60..0. */
export function meterValue(dbfs: number): number {
  if (!Number.isFinite(dbfs)) return -60;
  return Math.min(0, Math.max(-60, dbfs));
}

export function createCheckScreen(ctx: Ctx, route: Extract<Route, { name: "check" }>): Screen {
  let report: CheckReport | null = null;
  let running = false;
  let destroyed = false;
  let cameraTimer: ReturnType<typeof setTimeout> | null = null;
  let micTimer: ReturnType<typeof setTimeout> | null = null;

  const list = h("ul", { id: "check-items", class: "check-items", "aria-busy": "true", "aria-describedby": "check-status" });
  const status = h("p", { id: "check-status", class: "note", role: "status", "aria-live": "polite" });
  const checkError = errorLine("check-error");
  showError(checkError, null);

  const canvas = h("canvas", {
    id: "camera-preview",
    class: "camera-canvas",
    width: 320,
    height: 240,
    role: "img",
    "aria-label": t("check-camera-picture"),
  });
  const cameraMessage = h("p", { id: "camera-message", class: "camera-message", "aria-live": "polite" }, t("check-camera-starting"));

  const meter = h("meter", { id: "mic-level", min: "-60", max: "0", low: "-45", high: "-6", optimum: "-20", value: "-60" });
  const micText = h("p", { id: "mic-hint", class: "hint" }, t("check-microphone-hint"));

  const recheck = h("button", { id: "recheck", type: "button" }, t("check-again"));
  const cont = h(
    "button",
    { id: "check-continue", type: "button", class: "button-primary", disabled: true, "aria-describedby": "check-blocked" },
    t("check-continue"),
  );
  const blocked = h("p", { id: "check-blocked", class: "note" }, t("check-wait"));

  const root = screenRoot(
    "screen-check",
    t("check-heading"),
    h(
      "p",
      { class: "lead" },
      t(route.mode === "resume" ? "check-lead-resume" : "check-lead-new"),
    ),
    h(
      "div",
      { class: "check-layout" },
      h("section", { class: "card", "aria-labelledby": "check-list-title" }, h("h2", { id: "check-list-title" }, t("check-computer-heading")), status, list),
      h(
        "div",
        { class: "check-side" },
        h(
          "section",
          { class: "card", "aria-labelledby": "camera-title" },
          h("h2", { id: "camera-title" }, t("check-camera-heading")),
          h("div", { class: "camera-frame" }, canvas),
          cameraMessage,
        ),
        h(
          "section",
          { class: "card", "aria-labelledby": "mic-title" },
          h("h2", { id: "mic-title" }, t("check-microphone-heading")),
          h("label", { for: "mic-level" }, t("check-microphone-level")),
          meter,
          micText,
        ),
      ),
    ),
    h("div", { class: "actions actions-end" }, recheck, cont),
    blocked,
    checkError,
  );

  const updateContinue = () => {
    const isBlocked = hasBlocking(report);
    cont.disabled = running || !report || isBlocked;
    if (running) {
      blocked.textContent = t("check-wait");
    } else if (!report) {
      blocked.textContent = t("check-unfinished");
    } else if (isBlocked) {
      blocked.textContent = t("check-fix-first");
    } else {
      blocked.textContent = "";
    }
    blocked.hidden = blocked.textContent === "";
  };

  const runCheck = async () => {
    if (running) return;
    running = true;
    showError(checkError, null);
    list.setAttribute("aria-busy", "true");
    status.textContent = t("check-running");
    setBusy(recheck, true, t("check-checking"));
    updateContinue();
    try {
      const r = await ctx.api.runSystemCheck();
      if (destroyed) return;
      report = r;
      replace(list, r.items.map(checkItemElement));
      status.textContent = summaryText(r);
    } catch (err) {
      if (destroyed) return;
      report = null;
      status.textContent = "";
      showError(checkError, errorText(err));
    } finally {
      running = false;
      if (!destroyed) {
        list.setAttribute("aria-busy", "false");
        setBusy(recheck, false);
        updateContinue();
      }
    }
  };

  let lastQuality = "";
  const pollCamera = async () => {
    cameraTimer = null;
    try {
      const p = await ctx.api.cameraPreview();
      if (destroyed) return;
      drawPreview(canvas, p);
      if (p.message !== cameraMessage.textContent) cameraMessage.textContent = p.message;
      if (p.quality !== lastQuality) {
        lastQuality = p.quality;
        cameraMessage.dataset.quality = p.quality;
      }
    } catch (err) {
      if (destroyed) return;
      const msg = errorText(err);
      if (msg !== cameraMessage.textContent) cameraMessage.textContent = msg;
      cameraMessage.dataset.quality = "unavailable";
    }
    if (!destroyed) cameraTimer = setTimeout(() => void pollCamera(), CAMERA_POLL_MS);
  };

  const pollMic = async () => {
    micTimer = null;
    try {
      const level = await ctx.api.microphoneLevel();
      if (destroyed) return;
      meter.value = meterValue(level.rms_dbfs);
    } catch {
      if (destroyed) return;
      meter.value = -60;
    }
    if (!destroyed) micTimer = setTimeout(() => void pollMic(), MIC_POLL_MS);
  };

  recheck.addEventListener("click", () => void runCheck());

  cont.addEventListener("click", async () => {
    if (cont.disabled) return;
    if (route.mode === "new") {
      ctx.go({ name: "consent" });
      return;
    }
    // Resume: consent was given before; start (resume) the exam now.
    setBusy(cont, true, t("check-opening"));
    showError(checkError, null);
    const code = ctx.state.proctorCode;
    try {
      const paper = await ctx.api.startExam(true, code);
      if (destroyed) return;
      ctx.state.proctorCode = undefined;
      ctx.go({ name: "exam", paper });
    } catch (err) {
      if (destroyed) return;
      setBusy(cont, false);
      const codeRefused = errorCode(err) === "wrong_code" || errorCode(err) === "wait";
      if (ctx.state.launch?.resume?.needs_proctor_code && codeRefused) {
        // The code is typed on the resume screen: go back there, keep it.
        ctx.go({ name: "resume", error: errorText(err), code: code ?? "" });
      } else {
        showError(checkError, errorText(err));
        updateContinue();
      }
    }
  });

  updateContinue();
  void runCheck();
  void pollCamera();
  void pollMic();

  return {
    root,
    title: t("check-title"),
    destroy() {
      destroyed = true;
      if (cameraTimer !== null) clearTimeout(cameraTimer);
      if (micTimer !== null) clearTimeout(micTimer);
      cameraTimer = micTimer = null;
    },
  };
}
