// Copy and paste kept inside the exam (the policy's block_copy_out): the
// page keeps its own clipboard, so text copied in one answer can be pasted
// into another, while nothing reaches the desktop's clipboard. The app also
// takes away any desktop selection the exam window owns (selecting text).

type Field = HTMLInputElement | HTMLTextAreaElement;

function focusedField(doc: Document): Field | null {
  const el = doc.activeElement;
  const ok =
    el instanceof HTMLTextAreaElement ||
    (el instanceof HTMLInputElement && ["text", "search", "url", "email", ""].includes(el.type));
  return ok ? (el as Field) : null;
}

function selection(doc: Document, field: Field | null): { text: string; start: number; end: number } {
  if (field) {
    const start = field.selectionStart ?? field.value.length;
    const end = field.selectionEnd ?? start;
    return { text: field.value.slice(start, end), start, end };
  }
  return { text: doc.getSelection()?.toString() ?? "", start: 0, end: 0 };
}

/** Replaces a field's selection as typing would (the answer's input handler runs). */
function replace(field: Field, text: string, start: number, end: number): void {
  if (field.readOnly || field.disabled) return;
  field.setRangeText(text, start, end, "end");
  field.dispatchEvent(new Event("input", { bubbles: true }));
}

/** Installs the exam's own clipboard on `doc`; returns a function that removes it. */
export function installPrivateClipboard(doc: Document): () => void {
  let held = "";
  const onCopy = (e: Event) => {
    e.preventDefault();
    held = selection(doc, focusedField(doc)).text;
  };
  const onCut = (e: Event) => {
    e.preventDefault();
    const field = focusedField(doc);
    const sel = selection(doc, field);
    held = sel.text;
    if (field && sel.text) replace(field, "", sel.start, sel.end);
  };
  const onPaste = (e: Event) => {
    e.preventDefault();
    const field = focusedField(doc);
    if (!field || !held) return;
    const sel = selection(doc, field);
    replace(field, held, sel.start, sel.end);
  };
  doc.addEventListener("copy", onCopy, true);
  doc.addEventListener("cut", onCut, true);
  doc.addEventListener("paste", onPaste, true);
  return () => {
    doc.removeEventListener("copy", onCopy, true);
    doc.removeEventListener("cut", onCut, true);
    doc.removeEventListener("paste", onPaste, true);
  };
}
