// The exam held until a proctor confirms a keyboard or pointer that was
// connected during it (the engine's "held" event). A modal the candidate
// cannot close: only the proctor's code, checked by the app, lifts it. The
// engine refuses saves and the submission meanwhile, so nothing typed on
// the new device becomes an answer; ending the app does not lift it either.

import type { Api } from "./api";
import { errorLine, showError } from "./context";
import { Dialog } from "./dialog";
import { h } from "./dom";
import { t } from "./i18n";
import { onProctorCode } from "./proctorCode";

export interface HeldDialog {
  readonly dialog: Dialog;
  /** Shows (or updates) the hold for these devices. */
  hold(devices: string[]): void;
  /** The proctor confirmed: the exam goes on. */
  release(): void;
}

export function heldDialog(api: Api): HeldDialog {
  // Escape does nothing: the candidate cannot dismiss a hold.
  let code: HTMLInputElement | null = null;
  const dialog = new Dialog({
    id: "held-dialog",
    title: t("held-heading"),
    initialFocus: () => code,
    onCancel: () => undefined,
  });
  const devices = h("p", { id: "held-devices" });
  const error = errorLine("held-error");
  /** Its words, in the language in use when it opens. */
  const render = () => {
    code = h("input", { id: "held-code", type: "password", autocomplete: "off", spellcheck: "false" });
    showError(error, null);
    const confirm = h("button", { id: "held-confirm", type: "submit", class: "button-primary" }, t("held-confirm"));
    const form = h(
      "form",
      { class: "form", novalidate: true },
      devices,
      h("p", null, t("held-explain")),
      h("label", { for: "held-code" }, t("held-code-label")),
      code,
      error,
      h("div", { class: "actions actions-end" }, confirm),
    );
    dialog.heading.textContent = t("held-heading");
    dialog.body.replaceChildren(form);
    // The engine's "released" event closes the dialog.
    onProctorCode(form, code, error, confirm, t("held-confirming"), (typed) => api.confirmHeld(typed));
  };
  return {
    dialog,
    hold(names) {
      if (!dialog.isOpen) render();
      const list = names.length > 0 ? names.join(", ") : t("held-unnamed");
      devices.textContent = t("held-devices", { devices: list });
      dialog.open();
    },
    release() {
      showError(error, null);
      dialog.close();
    },
  };
}
