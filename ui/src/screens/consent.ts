// 4. Consent: what is captured, why, where it goes, how long it is kept, that
// detection runs on this computer and that a person decides. Nothing starts
// until the candidate ticks the box and chooses to start.

import { errorText, type ConsentTerms } from "../api";
import { APP_NAME, errorLine, screenRoot, showError, type Ctx, type Screen } from "../context";
import { h, replace, setBusy } from "../dom";

function termsContent(t: ConsentTerms): HTMLElement[] {
  return [
    h(
      "p",
      { class: "lead" },
      `${t.tenant_name} uses ${APP_NAME} to supervise “${t.exam_title}”. Here is exactly what happens while you take the exam.`,
    ),
    h("h2", null, "What is captured"),
    h(
      "ul",
      { id: "consent-items", class: "consent-items" },
      t.items.map((i) =>
        h(
          "li",
          { class: "consent-item" },
          h("h3", null, i.what),
          h(
            "dl",
            { class: "facts" },
            h("div", { class: "fact" }, h("dt", null, "What is captured"), h("dd", null, i.captured)),
            h("div", { class: "fact" }, h("dt", null, "Why"), h("dd", null, i.why)),
          ),
        ),
      ),
    ),
    h("h2", null, "Where it goes"),
    h("p", { id: "consent-destination", class: "text-block" }, t.destination),
    h("h2", null, "How long it is kept"),
    h("p", { id: "consent-retention", class: "text-block" }, t.retention),
    h("h2", null, "What happens on this computer"),
    h("p", { id: "consent-on-device", class: "text-block" }, t.on_device),
    h("h2", null, "Who decides"),
    h(
      "p",
      { id: "consent-person" },
      `The software only marks moments for a person to look at. It never decides anything about you. A person at ${t.tenant_name} reviews anything marked and decides.`,
    ),
  ];
}

export function createConsentScreen(ctx: Ctx): Screen {
  let destroyed = false;
  const terms = h("div", { id: "consent-terms", "aria-busy": "true" }, h("p", null, "Loading the terms…"));
  const loadError = errorLine("consent-load-error");
  showError(loadError, null);
  const error = errorLine("consent-error");
  showError(error, null);

  const checkbox = h("input", { id: "consent-checkbox", type: "checkbox", disabled: true });
  const accept = h("button", { id: "consent-accept", type: "button", class: "button-primary", disabled: true }, "Start the exam");
  const decline = h("button", { id: "consent-decline", type: "button" }, "I do not agree");

  const root = screenRoot(
    "screen-consent",
    "Before you start: your privacy",
    terms,
    loadError,
    h(
      "div",
      { class: "consent-agree" },
      h("div", { class: "checkbox-row" }, checkbox, h("label", { for: "consent-checkbox" }, "I have read this and agree")),
      h("div", { class: "actions" }, accept, decline),
      error,
    ),
  );

  const load = async () => {
    terms.setAttribute("aria-busy", "true");
    showError(loadError, null);
    try {
      const t = await ctx.api.consentTerms();
      if (destroyed) return;
      replace(terms, termsContent(t));
      checkbox.disabled = false;
    } catch (err) {
      if (destroyed) return;
      replace(terms);
      const retry = h("button", { type: "button", id: "consent-retry", onclick: () => void load() }, "Try again");
      showError(loadError, `The terms could not be loaded. ${errorText(err)}`);
      loadError.append(" ", retry);
    } finally {
      if (!destroyed) terms.setAttribute("aria-busy", "false");
    }
  };

  checkbox.addEventListener("change", () => {
    accept.disabled = !checkbox.checked;
  });

  let starting = false;
  accept.addEventListener("click", async () => {
    if (!checkbox.checked || starting) return;
    starting = true;
    showError(error, null);
    setBusy(accept, true, "Starting…");
    decline.disabled = true;
    try {
      const paper = await ctx.api.startExam(true);
      if (destroyed) return;
      ctx.go({ name: "exam", paper });
    } catch (err) {
      if (destroyed) return;
      showError(error, errorText(err));
      setBusy(accept, false);
      decline.disabled = false;
      accept.focus();
    } finally {
      starting = false;
    }
  });

  decline.addEventListener("click", () => ctx.go({ name: "declined" }));

  void load();
  return {
    root,
    title: `Your privacy — ${APP_NAME}`,
    destroy() {
      destroyed = true;
    },
  };
}

export function createDeclinedScreen(ctx: Ctx): Screen {
  const organiser = ctx.state.exam?.tenant_name ?? "the exam organiser";
  const back = h(
    "button",
    { id: "declined-back", type: "button", onclick: () => ctx.go({ name: "consent" }) },
    "Go back to the terms",
  );
  const root = screenRoot(
    "screen-declined",
    "You chose not to agree",
    h("p", { class: "lead" }, "That is fine. Nothing was recorded and nothing was sent."),
    h(
      "p",
      null,
      `If you would like to take this exam another way, please contact ${organiser}. You can also go back and read the terms again.`,
    ),
    h("div", { class: "actions" }, back),
  );
  return { root, title: `Not started — ${APP_NAME}` };
}
