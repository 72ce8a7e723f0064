// The app shell: a small router (state machine over screens), the warning
// banner, the high-contrast toggle, the proctor dialog (Ctrl+Alt+P), the
// devtools guard and the event wiring.

import { engineEventProblem, errorText, type Api, type EngineEvent, type Unlisten } from "./api";
import { Banner } from "./banner";
import { createContrastToggle } from "./contrast";
import { errorLine, screenRoot, showError, type AppState, type Ctx, type Route, type Screen } from "./context";
import { Dialog } from "./dialog";
import { h } from "./dom";
import { installDevtoolsGuard } from "./guard";
import { heldDialog } from "./held";
import { onProctorCode } from "./proctorCode";
import { chooseLocale, LANGUAGE_CHANGED, rememberedLanguage, setLocale, t } from "./i18n";
import { createCheckScreen } from "./screens/check";
import { createConsentScreen, createDeclinedScreen } from "./screens/consent";
import { createExamScreen, type ExamScreenOptions } from "./screens/exam";
import { createJoinScreen } from "./screens/join";
import { createOnlineScreen } from "./screens/online";
import { createReceiptScreen } from "./screens/receipt";
import { createResumeScreen } from "./screens/resume";
import { TroubleNotices } from "./trouble";

export interface AppOptions {
  exam?: ExamScreenOptions;
  bannerHideMs?: number;
}

export interface App {
  ctx: Ctx;
  readonly route: Route | null;
  readonly screen: Screen | null;
  go(route: Route): void;
  /** Resolves once launch_state has been read and the first screen shows. */
  ready: Promise<void>;
  destroy(): void;
}

function buildScreen(ctx: Ctx, route: Route, opts: AppOptions): Screen {
  switch (route.name) {
    case "join":
      return createJoinScreen(ctx);
    case "resume":
      return createResumeScreen(ctx, route);
    case "check":
      return createCheckScreen(ctx, route);
    case "consent":
      return createConsentScreen(ctx);
    case "declined":
      return createDeclinedScreen(ctx);
    case "exam":
      // An online exam's questions are on the organiser's page.
      if (route.paper.online_origin) return createOnlineScreen(ctx, route.paper);
      return createExamScreen(ctx, route, opts.exam);
    case "receipt":
      return createReceiptScreen(ctx, route);
    case "trouble":
      return troubleScreen(ctx, route.message);
  }
}

function troubleScreen(ctx: Ctx, message: string): Screen {
  const retry = h("button", { id: "trouble-retry", type: "button", class: "button-primary" }, t("try-again"));
  const root = screenRoot(
    "screen-trouble",
    t("trouble-heading"),
    h("p", { id: "trouble-message", role: "alert" }, message),
    h("p", null, t("trouble-nothing-lost")),
    h("div", { class: "actions" }, retry),
  );
  retry.addEventListener("click", () => void launch(ctx));
  return { root, title: t("trouble-title") };
}

async function launch(ctx: Ctx): Promise<void> {
  try {
    const ls = await ctx.api.launchState();
    ctx.state.launch = ls;
    ctx.state.exam = ls.exam;
    if (ls.phase === "receipt" && ls.receipt) {
      ctx.go({ name: "receipt", receipt: ls.receipt, timeUp: ls.time_up ?? false });
    } else if (ls.phase === "resume" && ls.resume) ctx.go({ name: "resume" });
    else ctx.go({ name: "join" });
  } catch (err) {
    ctx.go({ name: "trouble", message: errorText(err) });
  }
}

function proctorDialog(api: Api, banner: Banner): { dialog: Dialog; open(): void } {
  let code: HTMLInputElement | null = null;
  const dialog: Dialog = new Dialog({ id: "proctor-dialog", title: t("proctor-heading"), initialFocus: () => code });
  /** Its words, in the language in use when it opens. */
  const render = () => {
    code = h("input", { id: "proctor-code-input", type: "password", autocomplete: "off", spellcheck: "false" });
    const reason = h("textarea", { id: "proctor-reason", rows: 3 });
    const error = errorLine("proctor-error");
    showError(error, null);
    const unlock = h("button", { id: "proctor-unlock", type: "submit", class: "button-primary" }, t("proctor-unlock"));
    const cancel = h("button", { id: "proctor-cancel", type: "button" }, t("proctor-cancel"));
    const form = h(
      "form",
      { class: "form", novalidate: true },
      h("p", { class: "hint" }, t("proctor-only")),
      h("label", { for: "proctor-code-input" }, t("proctor-code-label")),
      code,
      h("label", { for: "proctor-reason" }, t("proctor-reason-label")),
      reason,
      error,
      h("div", { class: "actions actions-end" }, cancel, unlock),
    );
    dialog.heading.textContent = t("proctor-heading");
    dialog.body.replaceChildren(form);
    cancel.addEventListener("click", () => dialog.close());
    onProctorCode(form, code, error, unlock, t("proctor-unlocking"), async (typed) => {
      await api.proctorUnlock(typed, reason.value.trim());
      reason.value = "";
      dialog.close();
      banner.show(t("proctor-accepted"));
    });
  };
  return {
    dialog,
    open() {
      render();
      dialog.open();
    },
  };
}

export function startApp(mount: HTMLElement, api: Api, opts: AppOptions = {}): App {
  // The candidate's own choice, else the system's languages, else English.
  setLocale(chooseLocale(rememberedLanguage(), navigator.languages ?? [navigator.language]));
  const banner = new Banner(opts.bannerHideMs);
  const state: AppState = { launch: null, exam: null };
  const main = h("main", { id: "main", class: "main" });
  const brandName = h("span", { class: "brand-name" }, t("app-name"));
  const contrastToggle = createContrastToggle();
  // The app bar outlives the screens: it says its words again in a language chosen later.
  const sayAppBar = () => {
    brandName.textContent = t("app-name");
    const label = contrastToggle.querySelector(".contrast-label");
    if (label) label.textContent = t("contrast-toggle");
  };
  document.addEventListener(LANGUAGE_CHANGED, sayAppBar);
  const appBar = h(
    "header",
    { class: "app-bar" },
    h("p", { class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "◆ "), brandName),
    contrastToggle,
  );
  mount.replaceChildren(appBar, banner.root, main);

  let current: Screen | null = null;
  let currentRoute: Route | null = null;
  const unlisteners: Unlisten[] = [];
  let destroyed = false;

  const ctx: Ctx = {
    api,
    banner,
    state,
    go(route: Route) {
      if (destroyed) return;
      current?.destroy?.();
      currentRoute = route;
      current = buildScreen(ctx, route, opts);
      // A warning belongs to the screen it was raised on.
      banner.hide();
      main.replaceChildren(current.root);
      document.title = current.title;
      // Each screen opens at its top, wherever the last one was scrolled to.
      window.scrollTo(0, 0);
      current.root.focus({ preventScroll: true });
    },
  };

  const proctor = proctorDialog(api, banner);
  const held = heldDialog(api);

  const onShortcut = (e: KeyboardEvent) => {
    if (e.ctrlKey && e.altKey && (e.code === "KeyP" || e.key.toLowerCase() === "p")) {
      e.preventDefault();
      if (proctor.dialog.isOpen) proctor.dialog.close();
      else proctor.open();
    }
  };
  window.addEventListener("keydown", onShortcut);

  const removeGuard = installDevtoolsGuard(window, () => {
    api.reportWindowEvent("devtools_attempt").catch(() => undefined);
  });

  const troubles = new TroubleNotices(banner);

  // Payloads come from the Rust side unchecked: one that is not an EngineEvent
  // (an engine and UI out of step) is left aside quietly, never shown.
  const onEngine = (payload: unknown) => {
    const problem = engineEventProblem(payload);
    if (problem !== null) {
      console.warn(`ignored an engine event: ${problem}`);
      return;
    }
    const e = payload as EngineEvent;
    if (e.event === "started") troubles.reset();
    else if (e.event === "warning") banner.show(e.text, e.severity);
    else if (e.event === "trouble") troubles.trouble(e.monitor);
    else if (e.event === "held") held.hold(e.devices);
    else if (e.event === "released") {
      held.release();
      banner.show(t("held-released"));
    } else if (e.event === "ended") held.release();
    current?.onEngine?.(e);
  };

  const subscribe = async () => {
    const subs = await Promise.allSettled([
      api.listen("engine", onEngine),
      api.listen("lockdown", (e) => banner.show(e.text, e.kind)),
      api.listen("join-link", (e) => {
        if (currentRoute?.name === "join") current?.onJoinLink?.(e.link);
      }),
    ]);
    for (const s of subs) {
      if (s.status === "fulfilled") {
        if (destroyed) s.value();
        else unlisteners.push(s.value);
      }
    }
  };

  const ready = subscribe().then(() => launch(ctx));

  return {
    ctx,
    get route() {
      return currentRoute;
    },
    get screen() {
      return current;
    },
    go: ctx.go,
    ready,
    destroy() {
      destroyed = true;
      current?.destroy?.();
      current = null;
      for (const u of unlisteners) u();
      removeGuard();
      window.removeEventListener("keydown", onShortcut);
      proctor.dialog.destroy();
      held.dialog.destroy();
      document.removeEventListener(LANGUAGE_CHANGED, sayAppBar);
    },
  };
}
