// 4. Consent: what is captured, why, where it goes, how long it is kept, that
// detection runs on this computer and that a person decides. Nothing starts
// until the candidate ticks the box and chooses to start.

import { errorText, type ConsentTerms } from "../api";
import { errorLine, screenRoot, showError, type Ctx, type Screen } from "../context";
import { h, replace, setBusy } from "../dom";
import { t } from "../i18n";

function termsContent(terms: ConsentTerms): HTMLElement[] {
  return [
    h(
      "p",
      { class: "lead" },
      t("consent-lead", { tenant: terms.tenant_name, exam: terms.exam_title }),
    ),
    h("h2", null, t("consent-captured-heading")),
    h(
      "ul",
      { id: "consent-items", class: "consent-items" },
      terms.items.map((i) =>
        h(
          "li",
          { class: "consent-item" },
          h("h3", null, i.what),
          h(
            "dl",
            { class: "facts" },
            h("div", { class: "fact" }, h("dt", null, t("consent-captured-label")), h("dd", null, i.captured)),
            h("div", { class: "fact" }, h("dt", null, t("consent-why-label")), h("dd", null, i.why)),
          ),
        ),
      ),
    ),
    h("h2", null, t("consent-where-heading")),
    h("p", { id: "consent-destination", class: "text-block" }, terms.destination),
    h("h2", null, t("consent-kept-heading")),
    h("p", { id: "consent-retention", class: "text-block" }, terms.retention),
    h("h2", null, t("consent-on-device-heading")),
    h("p", { id: "consent-on-device", class: "text-block" }, terms.on_device),
    h("h2", null, t("consent-who-heading")),
    h(
      "p",
      { id: "consent-person" },
      t("consent-person", { tenant: terms.tenant_name }),
    ),
  ];
}

export function createConsentScreen(ctx: Ctx): Screen {
  let destroyed = false;
  const terms = h("div", { id: "consent-terms", "aria-busy": "true" }, h("p", null, t("consent-loading")));
  const loadError = errorLine("consent-load-error");
  showError(loadError, null);
  const error = errorLine("consent-error");
  showError(error, null);

  const checkbox = h("input", { id: "consent-checkbox", type: "checkbox", disabled: true });
  const accept = h("button", { id: "consent-accept", type: "button", class: "button-primary", disabled: true }, t("consent-start"));
  const decline = h("button", { id: "consent-decline", type: "button" }, t("consent-decline"));

  const root = screenRoot(
    "screen-consent",
    t("consent-heading"),
    terms,
    loadError,
    h(
      "div",
      { class: "consent-agree" },
      h("div", { class: "checkbox-row" }, checkbox, h("label", { for: "consent-checkbox" }, t("consent-agree"))),
      h("div", { class: "actions" }, accept, decline),
      error,
    ),
  );

  const load = async () => {
    terms.setAttribute("aria-busy", "true");
    showError(loadError, null);
    try {
      const loaded = await ctx.api.consentTerms();
      if (destroyed) return;
      replace(terms, termsContent(loaded));
      checkbox.disabled = false;
    } catch (err) {
      if (destroyed) return;
      replace(terms);
      const retry = h("button", { type: "button", id: "consent-retry", onclick: () => void load() }, t("try-again"));
      showError(loadError, t("consent-load-failed", { reason: errorText(err) }));
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
    setBusy(accept, true, t("consent-starting"));
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
    title: t("consent-title"),
    destroy() {
      destroyed = true;
    },
  };
}

export function createDeclinedScreen(ctx: Ctx): Screen {
  const organiser = ctx.state.exam?.tenant_name ?? t("declined-organiser-unknown");
  const back = h(
    "button",
    { id: "declined-back", type: "button", onclick: () => ctx.go({ name: "consent" }) },
    t("declined-back"),
  );
  const root = screenRoot(
    "screen-declined",
    t("declined-heading"),
    h("p", { class: "lead" }, t("declined-lead")),
    h("p", null, t("declined-other-way", { tenant: organiser })),
    h("div", { class: "actions" }, back),
  );
  return { root, title: t("declined-title") };
}
