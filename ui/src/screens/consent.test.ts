import { describe, expect, it } from "vitest";
import { createMockApi } from "../mock";
import { $, $input, flush, makeCtx, mount, last } from "../test/helpers";
import { createConsentScreen, createDeclinedScreen } from "./consent";

describe("consent screen", () => {
  it("explains what is captured, where it goes, how long, on-device, and who decides", async () => {
    const api = createMockApi();
    mount(createConsentScreen(makeCtx(api)));
    await flush();
    const items = document.querySelectorAll("#consent-items > li");
    expect(items.length).toBe(3);
    expect(items[0]?.textContent).toMatch(/Camera/);
    expect(items[0]?.textContent).toMatch(/Why/);
    expect($("#consent-destination").textContent).toBe("Demo School's exam server");
    expect($("#consent-retention").textContent).toMatch(/90 days/);
    expect($("#consent-on-device").textContent).toMatch(/runs on this computer/);
    expect($("#consent-person").textContent).toMatch(/A person at Demo School/);
    expect($("#consent-person").textContent).toMatch(/never decides/);
  });

  it("enables Start only when the box is ticked, then starts with agree: true", async () => {
    const api = createMockApi();
    const ctx = makeCtx(api);
    mount(createConsentScreen(ctx));
    await flush();
    const accept = $("#consent-accept") as HTMLButtonElement;
    const box = $input("#consent-checkbox");
    expect(document.querySelector('label[for="consent-checkbox"]')?.textContent).toBe("I have read this and agree");
    expect(accept.disabled).toBe(true);
    box.click();
    expect(accept.disabled).toBe(false);
    box.click();
    expect(accept.disabled).toBe(true);
    accept.click();
    await flush();
    expect(api.callsOf("start_exam")).toHaveLength(0);
    box.click();
    accept.click();
    await flush();
    expect(api.callsOf("start_exam").map((c) => c.args)).toEqual([{ agree: true }]);
    expect(last(ctx.routes)?.name).toBe("exam");
  });

  it("shows a start error next to the button and stays", async () => {
    const api = createMockApi();
    api.failNext("start_exam", "The exam window has closed.");
    const ctx = makeCtx(api);
    mount(createConsentScreen(ctx));
    await flush();
    $input("#consent-checkbox").click();
    $("#consent-accept").click();
    await flush();
    expect($("#consent-error").textContent).toBe("The exam window has closed.");
    expect(($("#consent-accept") as HTMLButtonElement).disabled).toBe(false);
    expect($input("#consent-checkbox").checked).toBe(true);
    expect(ctx.routes).toEqual([]);
  });

  it("decline captures nothing: start_exam is never called", async () => {
    const api = createMockApi();
    const ctx = makeCtx(api);
    mount(createConsentScreen(ctx));
    await flush();
    $("#consent-decline").click();
    await flush();
    expect(ctx.routes).toEqual([{ name: "declined" }]);
    expect(api.callsOf("start_exam")).toHaveLength(0);
    expect(api.calls.map((c) => c.name)).toEqual(["consent_terms"]);

    document.body.replaceChildren();
    mount(createDeclinedScreen(ctx));
    expect($("#screen-declined h1").textContent).toBeTruthy();
    expect($("#screen-declined").textContent).toMatch(/Nothing was recorded/);
    expect($("#screen-declined").textContent).toMatch(/contact/);
    $("#declined-back").click();
    expect(last(ctx.routes)).toEqual({ name: "consent" });
  });
});
