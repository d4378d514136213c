/// <reference lib="dom" />
/**
 * What every panel of the page shares: elements by id, the status line,
 * places as text.
 *
 * @module
 */
import { CallError } from "./calls.ts";
import { fromE7 } from "../lib/domain/geo.ts";
import type { Point } from "../lib/domain/types.ts";

/** The element with this id (the page has them all). */
export function element<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

/** The one-line status at the bottom: what happened, or what failed. */
export function report(text: string, failure = false): void {
  const status = element("status");
  status.textContent = text;
  status.classList.toggle("error", failure);
}

/** Reports a failed call in one line: method, status name, message. */
export function failed(method: string, error: unknown): void {
  report(`${method} failed: ${CallError.from(error).message}`, true);
}

/** A point as degrees, `latitude, longitude`. */
export function degrees(point: Point): string {
  return `${fromE7(point.latitude)}, ${fromE7(point.longitude)}`;
}
