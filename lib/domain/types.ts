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
 * @example A point in E7 units, read back as degrees
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Point } from "./types.ts";
 * import { fromE7, isValidPoint } from "./geo.ts";
 * const liberty: Point = { latitude: 406_892_000, longitude: -740_445_000 };
 * assert.equal(fromE7(liberty.latitude), 40.6892);
 * assert.equal(fromE7(liberty.longitude), -74.0445);
 * assert.ok(isValidPoint(liberty));
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
 * @example Listing the features inside a rectangle, corners in either order
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Rectangle } from "./types.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
 * import { createRouteGuide } from "./service.ts";
 * const guide = createRouteGuide({
 *   features: new FeatureDatabase([
 *     { name: "New York", location: { latitude: 407_128_000, longitude: -740_060_000 } },
 *     { name: "Boston", location: { latitude: 423_601_000, longitude: -710_589_000 } },
 *   ]),
 *   notes: new MemoryNoteBoard(),
 * });
 * const context = { signal: new AbortController().signal };
 * const around: Rectangle = {
 *   lo: { latitude: 400_000_000, longitude: -750_000_000 },
 *   hi: { latitude: 420_000_000, longitude: -730_000_000 },
 * };
 * const names = async (rectangle: Rectangle) =>
 *   (await Array.fromAsync(guide.listFeatures(rectangle, context))).map((f) => f.name);
 * assert.deepEqual(await names(around), ["New York"]);
 * assert.deepEqual(await names({ lo: around.hi, hi: around.lo }), ["New York"]);
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
 * @example A named feature, and the unnamed one where nothing is known
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Feature } from "./types.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
 * import { createRouteGuide } from "./service.ts";
 * const paris: Feature = { name: "Paris", location: { latitude: 488_566_900, longitude: 23_514_100 } };
 * const guide = createRouteGuide({
 *   features: new FeatureDatabase([paris]),
 *   notes: new MemoryNoteBoard(),
 * });
 * const context = { signal: new AbortController().signal };
 * assert.equal((await guide.getFeature(paris.location!, context)).name, "Paris");
 * const nowhere = { latitude: 0, longitude: 0 };
 * assert.deepEqual(await guide.getFeature(nowhere, context), { name: "", location: nowhere });
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
 * @example Leaving a note and reading it back at the same location
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RouteNote } from "./types.ts";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
 * const home = { latitude: 1, longitude: 1 };
 * const board = new MemoryNoteBoard();
 * const note: RouteNote = { location: home, message: "Departing from home" };
 * assert.deepEqual(await board.exchange(note), []);
 * const earlier = await board.exchange({ location: home, message: "Back home" });
 * assert.deepEqual(earlier, [note]);
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
 * @example Summarising a two-point route that passes one feature
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RouteSummary } from "./types.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
 * import { createRouteGuide } from "./service.ts";
 * const guide = createRouteGuide({
 *   features: new FeatureDatabase([{ name: "Start", location: { latitude: 0, longitude: 0 } }]),
 *   notes: new MemoryNoteBoard(),
 * });
 * const route = guide.recordRoute({ signal: new AbortController().signal });
 * await route.add({ latitude: 0, longitude: 0 });
 * await route.add({ latitude: 10_000, longitude: 10_000 }); // 0.001 degrees north-east
 * const summary: RouteSummary = await route.finish();
 * assert.deepEqual(summary, { pointCount: 2, featureCount: 1, distance: 157, elapsedTime: 0 });
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
