// Walks the app through every screen a candidate sees (join, check,
// consent, each question, the submit dialog, a held exam, the receipt),
// calling `look` on each: the pseudo-locale and accessibility tests share it.

import { startApp, type App } from "../app";
import { createMockApi, type MockApi } from "../mock";
import { $, $input, flush } from "./helpers";

export async function walkScreens(
  look: (screen: string, api: MockApi, app: App) => void | Promise<void>,
): Promise<App> {
  const api = createMockApi({ extraTimePercent: 25 });
  const el = document.createElement("div");
  el.id = "app";
  document.body.append(el);
  const app = startApp(el, api);
  await app.ready;
  await flush();
  await look("join", api, app);
  $input("#start-code").value = "ABCD-EFGH-JKMN";
  $("#join-button").click();
  await flush();
  await look("check", api, app);
  $("#check-continue").click();
  await flush();
  await look("consent", api, app);
  $input("#consent-checkbox").click();
  $("#consent-accept").click();
  await flush();
  const paper = app.route?.name === "exam" ? app.route.paper : null;
  for (let i = 0; i < (paper?.questions.length ?? 0); i++) {
    await look(`exam question ${i + 1}`, api, app);
    $("#next").click();
    await flush();
  }
  $("#submit-open").click();
  await flush();
  await look("submit dialog", api, app);
  api.emit("engine", { event: "held", devices: ["Logitech K380"] });
  await flush();
  await look("held", api, app);
  api.emit("engine", { event: "released" });
  await flush();
  $("#submit-confirm").click();
  await flush();
  if (app.route?.name !== "receipt") throw new Error(`the walk ended on ${app.route?.name}, not the receipt`);
  await look("receipt", api, app);
  return app;
}
