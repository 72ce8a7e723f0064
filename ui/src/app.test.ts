import { afterEach, describe, expect, it, vi } from "vitest";
import { createMockApi, type MockOptions } from "./mock";
import { startApp, type App } from "./app";
import { $, $input, flush, key, last } from "./test/helpers";

let app: App | null = null;

async function start(opts: MockOptions = {}) {
  const api = createMockApi(opts);
  const el = document.createElement("div");
  el.id = "app";
  document.body.append(el);
  app = startApp(el, api);
  await app.ready;
  await flush();
  return api;
}

afterEach(() => {
  app?.destroy();
  app = null;
  vi.useRealTimers();
});

function submit(form: string) {
  $(form).dispatchEvent(new Event("submit", { cancelable: true, bubbles: true }));
}

describe("app flow", () => {
  it("join → check → consent → exam, each screen focused with an h1 and a title", async () => {
    const api = await start({ extraTimePercent: 25, durationMinutes: 60 });
    expect($("#screen-join")).toBe(document.activeElement);
    expect($("#screen-join").getAttribute("tabindex")).toBe("-1");
    expect($("#screen-join h1").textContent).toBe("Join your exam");
    expect(document.title).toMatch(/^Join your exam/);
    expect($("#exam-card").textContent).toMatch(/Science — practice exam/);
    expect($("#exam-card").textContent).toMatch(/Demo School/);
    expect($("#exam-card").textContent).toMatch(/1 hour 15 minutes \(1 hour plus 25 % extra time\)/);
    expect(document.querySelector('label[for="start-code"]')?.textContent).toBe("Start code from your proctor");
    expect(document.querySelector('label[for="join-link"]')?.textContent).toBe("Or paste your join link");

    // A wrong code: the error shows next to the action; the typed code stays.
    $input("#start-code").value = "ABCD-EFGH-XXXX";
    submit("#join-form");
    await flush();
    expect($("#join-error").textContent).toMatch(/did not match/);
    expect($("#join-error").getAttribute("role")).toBe("alert");
    expect($input("#start-code").value).toBe("ABCD-EFGH-XXXX");
    expect(app?.route?.name).toBe("join");

    $input("#start-code").value = "abcd-efgh-jkmn";
    $("#join-button").click();
    await flush();
    expect(last(api.callsOf("unlock_exam"))?.args).toEqual({ code: "abcd-efgh-jkmn" });
    expect(app?.route).toEqual({ name: "check", mode: "new" });
    expect(document.activeElement).toBe($("#screen-check"));
    expect(document.title).toMatch(/^System check/);

    $("#check-continue").click();
    await flush();
    expect(app?.route?.name).toBe("consent");
    $input("#consent-checkbox").click();
    $("#consent-accept").click();
    await flush();
    expect(app?.route?.name).toBe("exam");
    expect(document.activeElement).toBe($("#screen-exam"));
    expect(document.title).toBe("Science — practice exam — Paraakh Secure Exam");
    // polling of the check screen stopped
    const cams = api.callsOf("camera_preview").length;
    await new Promise((r) => setTimeout(r, 1100));
    expect(api.callsOf("camera_preview").length).toBe(cams);
  });

  it("resume: shows the resume screen, asks for the proctor code, checks again, then resumes", async () => {
    const api = await start({
      phase: "resume",
      needsProctorCode: true,
      proctorCode: "PROC-1234",
      savedAnswers: { q1: 1 },
    });
    expect(app?.route?.name).toBe("resume");
    expect($("#screen-resume").textContent).toMatch(/Your exam was interrupted at .+\. Your answers are saved\./);
    expect(document.querySelector('label[for="resume-proctor-code"]')?.textContent).toBe("Proctor code");

    $("#resume-button").click();
    expect($("#resume-error").textContent).toMatch(/proctor code/);
    expect(app?.route?.name).toBe("resume");

    $input("#resume-proctor-code").value = "PROC-1234";
    $("#resume-button").click();
    await flush();
    expect(app?.route).toEqual({ name: "check", mode: "resume" });
    $("#check-continue").click();
    await flush();
    expect(api.callsOf("consent_terms")).toHaveLength(0);
    expect(api.callsOf("start_exam").map((c) => c.args)).toEqual([{ agree: true, proctorCode: "PROC-1234" }]);
    expect(app?.route?.name).toBe("exam");
    expect($input('[data-choice="1"]').checked).toBe(true);
  });

  it("resume: a machine that blocks the start is said on the check, not blamed on the proctor's code", async () => {
    await start({
      phase: "resume",
      needsProctorCode: true,
      proctorCode: "PROC-1234",
      startRefused: "x11vnc (remote access) is running",
    });
    $input("#resume-proctor-code").value = "PROC-1234";
    $("#resume-button").click();
    await flush();
    $("#check-continue").click();
    await flush();
    expect(app?.route).toEqual({ name: "check", mode: "resume" });
    expect($("#check-error").textContent).toMatch(/x11vnc \(remote access\) is running/);
  });

  it("uses a join link handed over at launch, and one from a second launch", async () => {
    const api = await start({ joinLink: "paraakh://join/demo?t=1" });
    expect(api.callsOf("join_with_link").map((c) => c.args)).toEqual([{ link: "paraakh://join/demo?t=1" }]);
    expect($input("#join-link").value).toBe("paraakh://join/demo?t=1");
    expect(app?.route?.name).toBe("join"); // not unlocked yet: asks for the code
    expect($("#join-status").textContent).toMatch(/start code/);

    api.emit("join-link", { link: "not a link" });
    await flush();
    expect($input("#join-link").value).toBe("not a link");
    expect($("#join-error").textContent).toMatch(/does not look like a join link/);
  });

  it("joins by link before the opening, says when, and goes on by itself once the questions come", async () => {
    vi.useFakeTimers();
    const api = createMockApi({ linkOpensAfterPolls: 2 });
    const el = document.createElement("div");
    document.body.append(el);
    app = startApp(el, api);
    await app.ready;
    await vi.advanceTimersByTimeAsync(0);
    $input("#join-link").value = "paraakh://join?tenant=demo-school&token=t";
    submit("#join-link-form");
    await vi.advanceTimersByTimeAsync(0);
    expect(app?.route?.name).toBe("join");
    expect($("#join-status").textContent).toMatch(/You have joined “Science — practice exam”. It opens at .*continues by itself/);
    api.failNext("open_joined_exam", "The exam server cannot be reached.");
    await vi.advanceTimersByTimeAsync(15_000);
    expect($("#join-error").textContent).toBe("The exam server cannot be reached.");
    expect(app?.route?.name).toBe("join");
    await vi.advanceTimersByTimeAsync(15_000);
    expect($("#join-error").hidden).toBe(true);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(api.callsOf("open_joined_exam")).toHaveLength(3);
    expect(app?.route).toEqual({ name: "check", mode: "new" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.callsOf("open_joined_exam")).toHaveLength(3);
  });

  it("goes straight to the check when a link's exam is open already", async () => {
    const api = await start({ linkOpensAfterPolls: 0 });
    $input("#join-link").value = "paraakh://join?tenant=demo-school&token=t";
    submit("#join-link-form");
    await flush();
    expect(api.callsOf("open_joined_exam")).toHaveLength(0);
    expect(app?.route).toEqual({ name: "check", mode: "new" });
  });

  it("ignores a join link event outside the join screen", async () => {
    const api = await start();
    app?.go({ name: "consent" });
    api.emit("join-link", { link: "paraakh://join/x" });
    await flush();
    expect(api.callsOf("join_with_link")).toHaveLength(0);
  });

  it("shows a calm trouble screen when launch_state fails, with a retry", async () => {
    const api = createMockApi();
    api.failNext("launch_state", "The exam package could not be read.");
    const el = document.createElement("div");
    document.body.append(el);
    app = startApp(el, api);
    await app.ready;
    await flush();
    expect($("#trouble-message").textContent).toBe("The exam package could not be read.");
    $("#trouble-retry").click();
    await flush();
    expect(app.route?.name).toBe("join");
  });
});

describe("proctor dialog", () => {
  it("opens with Ctrl+Alt+P, shows errors, unlocks", async () => {
    const api = await start();
    expect(document.querySelector("#proctor-dialog")).toBeNull();
    key(document.body, { key: "p", code: "KeyP", ctrlKey: true, altKey: true });
    const dialog = $("#proctor-dialog");
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(document.activeElement).toBe($("#proctor-code-input"));
    expect($("#app").hasAttribute("inert")).toBe(true);

    $input("#proctor-code-input").value = "WRONG";
    ($("#proctor-reason") as HTMLTextAreaElement).value = "Power cut";
    $("#proctor-unlock").click();
    await flush();
    expect($("#proctor-error").textContent).toBe("That proctor code did not match.");
    expect(($("#proctor-reason") as HTMLTextAreaElement).value).toBe("Power cut");

    $input("#proctor-code-input").value = "PROC-TOR1";
    $("#proctor-unlock").click();
    await flush();
    expect(last(api.callsOf("proctor_unlock"))?.args).toEqual({ code: "PROC-TOR1", reason: "Power cut" });
    expect(dialog.closest(".dialog-overlay")?.hasAttribute("hidden")).toBe(true);
    expect($("#app").hasAttribute("inert")).toBe(false);
    expect($("#warning-text").textContent).toMatch(/accepted/);
  });
});

describe("online exam", () => {
  it("shows where the exam is and asks the app to open the organiser's page", async () => {
    const api = await start({ online: true });
    $input("#start-code").value = "ABCD-EFGH-JKMN";
    submit("#join-form");
    await flush();
    $("#check-continue").click();
    await flush();
    $input("#consent-checkbox").click();
    $("#consent-accept").click();
    await flush();
    expect(app?.route?.name).toBe("exam");
    expect(document.activeElement).toBe($("#screen-online"));
    expect($("#online-where").textContent).toMatch(/organiser's site, quiz\.demo-school\.example/);
    expect($("#online-time").textContent).toMatch(/Your time ends at .*ends by itself/);
    expect(document.querySelector("#question")).toBeNull();
    api.failNext("open_online_exam", "the exam window is gone");
    $("#online-open").click();
    await flush();
    expect($("#online-error").textContent).toBe("the exam window is gone");
    $("#online-open").click();
    await flush();
    expect(api.callsOf("open_online_exam")).toHaveLength(2);
    expect($("#online-error").hidden).toBe(true);
  });

  it("shows the receipt when the app's page comes back after the online exam", async () => {
    const api = createMockApi({ online: true });
    await api.startExam(true);
    const receipt = await api.submitExam();
    const base = await api.launchState();
    api.launchState = async () => ({ ...base, phase: "receipt", receipt, time_up: true });
    const el = document.createElement("div");
    document.body.append(el);
    app = startApp(el, api);
    await app.ready;
    await flush();
    expect(app?.route).toEqual({ name: "receipt", receipt, timeUp: true });
    expect($("#receipt-time-up").textContent).toMatch(/Time was up/);
  });
});

describe("receipt", () => {
  it("shows the receipt and polls sync_status every 2 s until synced", async () => {
    vi.useFakeTimers();
    const api = createMockApi({ syncAfterPolls: 2 });
    const el = document.createElement("div");
    document.body.append(el);
    app = startApp(el, api);
    await app.ready;
    await api.startExam(true);
    await api.saveAnswer("q1", 1);
    const receipt = await api.submitExam();
    app.go({ name: "receipt", receipt, timeUp: true });
    expect(document.activeElement).toBe($("#screen-receipt"));
    expect($("#screen-receipt h1").textContent).toBe("Your exam was submitted");
    expect($("#receipt-session").textContent).toBe("demo-session-0001");
    expect($("#receipt-answered").textContent).toBe("1 of 4 questions answered");
    expect($("#receipt-time").textContent).not.toBe("");
    expect($("#receipt-time-up").textContent).toMatch(/Time was up/);
    expect($("#receipt-sync").textContent).toBe(
      "Saved on this computer; sending to Demo School — you can leave this open.",
    );
    expect($("#receipt-sync-detail").hidden).toBe(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(api.callsOf("sync_status")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(api.callsOf("sync_status")).toHaveLength(2);
    expect($("#receipt-sync").textContent).toBe(
      "Your answers and the exam record reached Demo School and were confirmed.",
    );
    // Said once, with when this computer's copy goes.
    expect($("#screen-receipt").textContent?.match(/confirmed/g)).toHaveLength(1);
    expect($("#receipt-sync-detail").textContent).toBe(
      "This computer deletes its copy on 2027-01-06 (UTC), as Demo School's rules say.",
    );
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.callsOf("sync_status")).toHaveLength(2);

    $("#quit").click();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.callsOf("quit_app")).toHaveLength(1);
  });

  it("refreshes the sync state at once when the engine reports an upload", async () => {
    const api = createMockApi({ syncAfterPolls: 1 });
    const el = document.createElement("div");
    document.body.append(el);
    app = startApp(el, api);
    await app.ready;
    await api.startExam(true);
    app.go({ name: "receipt", receipt: await api.submitExam() });
    expect($("#receipt-sync").dataset.sync).toBe("pending");
    api.emit("engine", { event: "uploaded", cosigned_size: 4096 });
    await flush();
    expect(api.callsOf("sync_status")).toHaveLength(1);
    expect($("#receipt-sync").dataset.sync).toBe("synced");
  });

  it("says it is safe offline", async () => {
    const api = createMockApi({ initialSync: "offline", syncAfterPolls: 99 });
    const el = document.createElement("div");
    document.body.append(el);
    app = startApp(el, api);
    await app.ready;
    await api.startExam(true);
    app.go({ name: "receipt", receipt: await api.submitExam() });
    expect($("#receipt-sync").textContent).toBe("Saved safely on this computer; it will be sent when you are online.");
    expect(document.querySelector("#receipt-time-up")).toBeNull();
  });
});

describe("language", () => {
  it("the join screen changes the language at once, turns the page for Arabic, and keeps the focus on the menu", async () => {
    await start();
    const menu = $("#language") as HTMLSelectElement;
    expect(menu.value).toBe("en");
    expect(document.querySelector('label[for="language"]')?.textContent).toBe("Language");
    menu.value = "ar";
    menu.dispatchEvent(new Event("change", { bubbles: true }));
    await flush();
    expect($("#screen-join h1").textContent).toBe("انضم إلى امتحانك");
    expect(document.documentElement.dir).toBe("rtl");
    // The app bar, which outlives the screens, speaks it too.
    expect($("#contrast-toggle").textContent).toContain("تباين عالٍ");
    expect(document.activeElement).toBe($("#language"));
    expect(($("#language") as HTMLSelectElement).value).toBe("ar");
    // A fresh start remembers it.
    app?.destroy();
    document.body.replaceChildren();
    await start();
    expect($("#join-button").textContent).toBe("افتح الامتحان");
  });

  it("the dialogs speak a language chosen after the app started", async () => {
    const api = await start();
    const menu = $("#language") as HTMLSelectElement;
    menu.value = "es";
    menu.dispatchEvent(new Event("change", { bubbles: true }));
    await flush();
    key(document.body, { key: "p", code: "KeyP", ctrlKey: true, altKey: true });
    expect($("#proctor-dialog h2").textContent).toBe("Supervisor");
    expect(document.querySelector('label[for="proctor-code-input"]')?.textContent).toBe("Código del supervisor");
    key(document.body, { key: "p", code: "KeyP", ctrlKey: true, altKey: true });
    api.emit("engine", { event: "held", devices: ["K380"] });
    await flush();
    expect($("#held-dialog h2").textContent).toBe("El examen está en pausa");
    expect($("#held-confirm").textContent).toBe("Confirmar");
  });

  it("starts in the system's language when the candidate chose none", async () => {
    const languages = vi.spyOn(navigator, "languages", "get").mockReturnValue(["hi-IN", "en"]);
    await start();
    expect($("#screen-join h1").textContent).toBe("अपनी परीक्षा में शामिल हों");
    expect(document.documentElement.lang).toBe("hi");
    languages.mockRestore();
  });
});

describe("screen changes", () => {
  it("each screen opens at its top, without the last screen's warning", async () => {
    const scrolled = vi.spyOn(window, "scrollTo");
    const api = await start();
    await api.startExam(true);
    api.emit("engine", { event: "warning", kind: "focus_lost", text: "You left the exam window.", severity: "medium" });
    await flush();
    expect($("#warning-text").textContent).toBe("You left the exam window.");
    scrolled.mockClear();
    app?.go({ name: "receipt", receipt: await api.submitExam() });
    expect(scrolled).toHaveBeenCalledWith(0, 0);
    expect($("#warning-text").textContent).toBe("");
  });
});

describe("held exam", () => {
  it("a new input device covers the exam until the proctor's code; Escape does not lift it", async () => {
    const api = await start();
    api.emit("engine", { event: "held", devices: ["Logitech K380 Keyboard"] });
    await flush();
    const dialog = $("#held-dialog");
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect($("#held-devices").textContent).toContain("Logitech K380 Keyboard");
    expect(document.activeElement).toBe($("#held-code"));
    expect($("#app").hasAttribute("inert")).toBe(true);

    key(dialog, { key: "Escape" });
    expect(dialog.closest(".dialog-overlay")?.hasAttribute("hidden")).toBe(false);

    $input("#held-code").value = "WRONG";
    submit("#held-dialog form");
    await flush();
    expect($("#held-error").textContent).toBe("That proctor code did not match.");
    expect(dialog.closest(".dialog-overlay")?.hasAttribute("hidden")).toBe(false);

    $input("#held-code").value = "PROC-TOR1";
    submit("#held-dialog form");
    await flush();
    expect(last(api.callsOf("confirm_held"))?.args).toEqual({ code: "PROC-TOR1" });
    expect(dialog.closest(".dialog-overlay")?.hasAttribute("hidden")).toBe(true);
    expect($("#app").hasAttribute("inert")).toBe(false);
    expect($("#warning-text").textContent).toMatch(/proctor confirmed/);
  });
});
