// The report's behaviour: filters by layer and severity, and recording a
// decision (the command to run, or a POST when the backend serves the page).
// Everything works without it except these two.
"use strict";
(function () {
  const body = document.body;
  const boxes = Array.from(document.querySelectorAll(".filters input[type=checkbox]"));
  const items = Array.from(document.querySelectorAll(".event, .pin"));
  const shown = document.getElementById("shown");
  function checked(name) {
    return new Set(boxes.filter((b) => b.name === name && b.checked).map((b) => b.value));
  }
  function apply() {
    const layers = checked("layer");
    const severities = checked("severity");
    let visible = 0;
    let all = 0;
    for (const el of items) {
      const on = layers.has(el.dataset.layer) && severities.has(el.dataset.severity);
      el.classList.toggle("filtered", !on);
      if (el.classList.contains("event")) {
        all += 1;
        if (on) visible += 1;
      }
    }
    if (shown) shown.textContent = "Showing " + visible + " of " + all + " events.";
  }
  for (const b of boxes) b.addEventListener("change", apply);
  apply();

  // A pin or link to a filtered event shows it.
  function reveal() {
    const id = decodeURIComponent(location.hash.slice(1));
    const el = id && document.getElementById(id);
    if (el && el.classList.contains("filtered")) el.classList.remove("filtered");
  }
  window.addEventListener("hashchange", reveal);
  reveal();

  // A picture at full size and back (a button: keyboard and screen readers too).
  for (const zoom of document.querySelectorAll("button.zoom")) {
    zoom.addEventListener("click", () => {
      zoom.setAttribute("aria-pressed", zoom.getAttribute("aria-pressed") === "true" ? "false" : "true");
    });
  }

  function quote(s) {
    return "'" + s.replace(/'/g, "'\\''") + "'";
  }
  // One form, moved under the event being decided.
  const url = body.dataset.decisionsUrl;
  const form = document.getElementById("decide");
  const out = form && form.querySelector("output");
  let opened = null;
  for (const button of document.querySelectorAll("button.decide-open")) {
    button.addEventListener("click", () => {
      if (opened) opened.setAttribute("aria-expanded", "false");
      form.reset();
      out.textContent = "";
      form.dataset.seq = button.dataset.seq;
      form.dataset.hash = button.dataset.hash;
      form.setAttribute("aria-label", "Decision on record " + button.dataset.seq);
      button.after(form);
      form.hidden = false;
      button.setAttribute("aria-expanded", "true");
      opened = button;
      form.querySelector("input[type=radio]").focus();
    });
  }
  if (form) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const picked = form.querySelector("input[type=radio]:checked");
      const note = form.querySelector("textarea").value;
      if (!picked) {
        out.textContent = "Choose confirmed, dismissed or needs a second review first.";
        return;
      }
      const seq = Number(form.dataset.seq);
      if (!url) {
        out.textContent =
          "Run this to record and sign it with your reviewer key:\n" +
          "paraakh review decide " + quote(body.dataset.sessionDir || ".") +
          " --event " + seq + " --verdict " + picked.value +
          " --note " + quote(note) + " --key YOUR-REVIEWER.key";
        return;
      }
      out.textContent = "Recording…";
      try {
        const res = await fetch(url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ event_seq: seq, event_hash: form.dataset.hash, verdict: picked.value, note: note }),
        });
        const reply = await res.json().catch(() => ({}));
        if (!res.ok) {
          out.textContent = "Not recorded: " + (reply.message || res.status);
          return;
        }
        out.textContent = "Recorded and signed as decision " + reply.position + " by " + reply.reviewer + ".";
        // The event's heading says what is in force now.
        const heading = form.closest(".event") && form.closest(".event").querySelector("h3");
        const words = { confirmed: "Confirmed", dismissed: "Dismissed", second_review: "Needs a second review" };
        if (heading) {
          const state = heading.querySelector(".state") || heading.appendChild(document.createElement("span"));
          state.className = "state";
          state.textContent = " — " + (words[reply.verdict] || reply.verdict) + " (by " + reply.reviewer + ")";
        }
      } catch (e) {
        out.textContent = "Not recorded: the backend cannot be reached (" + e + "). Nothing was lost; try again.";
      }
    });
  }
})();
