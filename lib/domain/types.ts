/**
 * The RouteGuide message types, as the library hands them out: every field
 * present (proto3 defaults filled in, absent messages as null), names
 * camel-cased. They match the types generated in `lib/gen/`.
 *
 * @module
 */

/**
 * A point in E7 degrees (degrees x 10^7, rounded): latitude within +-90 and
 * longitude within +-180 degrees.
 *
 * @example
 * ```ts
 * import type { Point } from "./types.ts";
 * const liberty: Point = { latitude: 406_892_000, longitude: -740_445_000 };
 * ```
 */
export interface Point {
  /** Latitude in degrees x 10^7. */
  latitude: number;
  /** Longitude in degrees x 10^7. */
  longitude: number;
}

/**
 * A rectangle given by two opposite corners, in either diagonal order.
 *
 * @example
 * ```ts
 * import type { Rectangle } from "./types.ts";
 * const rect: Rectangle = {
 *   lo: { latitude: 400_000_000, longitude: -750_000_000 },
 *   hi: { latitude: 420_000_000, longitude: -730_000_000 },
 * };
 * ```
 */
export interface Rectangle {
  /** One corner. */
  lo: Point | null;
  /** The opposite corner. */
  hi: Point | null;
}

/**
 * Something named at a point; an empty name means nothing is known there.
 *
 * @example
 * ```ts
 * import type { Feature } from "./types.ts";
 * const f: Feature = { name: "Paris", location: { latitude: 488_566_900, longitude: 23_514_100 } };
 * ```
 */
export interface Feature {
  /** The name; empty when nothing is known at the location. */
  name: string;
  /** Where the feature is. */
  location: Point | null;
}

/**
 * A message left at a location during RouteChat.
 *
 * @example
 * ```ts
 * import type { RouteNote } from "./types.ts";
 * const note: RouteNote = { location: { latitude: 1, longitude: 1 }, message: "Departing from home" };
 * ```
 */
export interface RouteNote {
  /** Where the note was left. */
  location: Point | null;
  /** The text, at most 1,024 UTF-8 bytes. */
  message: string;
}

/**
 * What RecordRoute answers: points received, features passed, metres
 * travelled and whole seconds elapsed.
 *
 * @example
 * ```ts
 * import type { RouteSummary } from "./types.ts";
 * const s: RouteSummary = { pointCount: 2, featureCount: 1, distance: 157, elapsedTime: 0 };
 * ```
 */
export interface RouteSummary {
  /** Points received. */
  pointCount: number;
  /** Points that landed exactly on a feature. */
  featureCount: number;
  /** Haversine distance along the route, whole metres. */
  distance: number;
  /** Whole seconds from the call's start to the client's half-close. */
  elapsedTime: number;
}
