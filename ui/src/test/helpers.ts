import type { Api } from "../api";
import { Banner } from "../banner";
import type { Ctx, Route, Screen } from "../context";

/** Lets pending promise callbacks run (works with fake timers too). */
export async function flush(rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

export interface TestCtx extends Ctx {
  routes: Route[];
}

export function makeCtx(api: Api, state: Partial<Ctx["state"]> = {}): TestCtx {
  const routes: Route[] = [];
  return {
    api,
    banner: new Banner(),
    state: { launch: null, exam: null, ...state },
    routes,
    go(route: Route) {
      routes.push(route);
    },
  };
}

export function mount(screen: Screen): Screen {
  document.body.append(screen.root);
  return screen;
}

export function $(selector: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(selector);
  if (!el) throw new Error(`not found: ${selector}`);
  return el;
}

export function $input(selector: string): HTMLInputElement {
  return $(selector) as HTMLInputElement;
}

export function typeInto(el: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  el.value = value;
  el.dispatchEvent(new Event("input", { bubbles: true }));
}

export function key(target: EventTarget, init: KeyboardEventInit): KeyboardEvent {
  const ev = new KeyboardEvent("keydown", { bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(ev);
  return ev;
}

export function last<T>(list: readonly T[]): T | undefined {
  return list[list.length - 1];
}
