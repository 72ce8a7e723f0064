// A form that takes the proctor's code (the emergency unlock, a held exam):
// says when none was typed, shows the button busy while the app checks it,
// and a refusal next to it with the focus back on the code.

import { errorText } from "./api";
import { showError } from "./context";
import { setBusy } from "./dom";
import { t } from "./i18n";

export function onProctorCode(
  form: HTMLFormElement,
  code: HTMLInputElement,
  error: HTMLElement,
  button: HTMLButtonElement,
  busyLabel: string,
  act: (code: string) => Promise<void>,
): void {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!code.value.trim()) {
      showError(error, t("proctor-code-missing"));
      code.focus();
      return;
    }
    setBusy(button, true, busyLabel);
    showError(error, null);
    try {
      await act(code.value.trim());
      code.value = "";
    } catch (err) {
      showError(error, errorText(err));
      code.focus();
    } finally {
      setBusy(button, false);
    }
  });
}
