// Moving between the chat window's views (the URL hash is the single source of truth).

import { routeHash, type Route } from "../lib/route";

/** Goes to a route; `replace` rewrites the current history entry instead of adding one. */
export function navigate(route: Route, replace = false): void {
  const hash = routeHash(route);
  if (location.hash === hash) return;
  if (replace) {
    history.replaceState(null, "", hash);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = hash;
  }
}

/** A view of the chat window's content area. */
export interface View {
  readonly el: HTMLElement;
  /** The route changed within the same view (another conversation). */
  route(route: Route): void;
  /** Files were dropped on the window (views that take files define this). */
  drop?(paths: string[]): void;
  /** Puts the focus where the view starts. */
  focus(): void;
  destroy(): void;
}
