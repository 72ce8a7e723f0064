// The exam held until a proctor confirms a keyboard or pointer that was
// connected during it (the engine's "held" event). A modal the candidate
// cannot close: only the proctor's code, checked by the app, lifts it. The
// engine refuses saves and the submission meanwhile, so nothing typed on
// the new device becomes an answer; ending the app does not lift it either.

import { errorText, type Api } from "./api";
import { errorLine, showError } from "./context";
import { Dialog } from "./dialog";
import { h, setBusy } from "./dom";

export interface HeldDialog {
  readonly dialog: Dialog;
  /** Shows (or updates) the hold for these devices. */
  hold(devices: string[]): void;
  /** The proctor confirmed: the exam goes on. */
  release(): void;
}

export function heldDialog(api: Api): HeldDialog {
  const devices = h("p", { id: "held-devices" });
  const code = h("input", { id: "held-code", type: "password", autocomplete: "off", spellcheck: "false" });
  const error = errorLine("held-error");
  showError(error, null);
  const confirm = h("button", { id: "held-confirm", type: "submit", class: "button-primary" }, "Confirm");
  // Escape does nothing: the candidate cannot dismiss a hold.
  const dialog = new Dialog({
    id: "held-dialog",
    title: "The exam is paused",
    initialFocus: () => code,
    onCancel: () => undefined,
  });
  const form = h(
    "form",
    { class: "form", novalidate: true },
    devices,
    h(
      "p",
      null,
      "Please call your proctor. Your answers so far are saved; nothing can be answered or submitted until the proctor confirms the new device.",
    ),
    h("label", { for: "held-code" }, "Proctor code"),
    code,
    error,
    h("div", { class: "actions actions-end" }, confirm),
  );
  dialog.body.append(form);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!code.value.trim()) {
      showError(error, "Please type the proctor code.");
      code.focus();
      return;
    }
    setBusy(confirm, true, "Confirming…");
    showError(error, null);
    try {
      // The engine's "released" event closes the dialog.
      await api.confirmHeld(code.value.trim());
      code.value = "";
    } catch (err) {
      showError(error, errorText(err));
      code.focus();
    } finally {
      setBusy(confirm, false);
    }
  });
  return {
    dialog,
    hold(names) {
      const list = names.length > 0 ? names.join(", ") : "an unnamed device";
      devices.textContent = `A keyboard or mouse was connected during the exam: ${list}.`;
      dialog.open();
    },
    release() {
      showError(error, null);
      dialog.close();
    },
  };
}
