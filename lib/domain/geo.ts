/**
 * Geographic helpers: E7 conversion, great-circle distance and rectangle
 * normalisation.
 *
 * @module
 */
import type { Point } from "./types.ts";

/**
 * Degrees are carried on the wire as integers: degrees x 10^7.
 *
 * @example E7 units to degrees by hand
 * ```ts
 * import assert from "node:assert/strict";
 * import { COORD_FACTOR } from "./geo.ts";
 * assert.equal(407_128_000 / COORD_FACTOR, 40.7128);
 * ```
 */
export const COORD_FACTOR = 1e7;

/**
 * Mean earth radius used for distances, in metres.
 *
 * @example The length of the equator on this sphere
 * ```ts
 * import assert from "node:assert/strict";
 * import { EARTH_RADIUS_M } from "./geo.ts";
 * assert.equal(Math.round(2 * Math.PI * EARTH_RADIUS_M / 1000), 40_030);
 * ```
 */
export const EARTH_RADIUS_M = 6_371_000;

/**
 * Largest valid latitude in E7 units (90 degrees).
 *
 * @example The South Pole is the edge
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_LATITUDE_E7, toE7 } from "./geo.ts";
 * assert.equal(Math.abs(toE7(-90)), MAX_LATITUDE_E7);
 * ```
 */
export const MAX_LATITUDE_E7 = 900_000_000;

/**
 * Largest valid longitude in E7 units (180 degrees).
 *
 * @example The antimeridian is the edge
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_LONGITUDE_E7, toE7 } from "./geo.ts";
 * assert.equal(toE7(180), MAX_LONGITUDE_E7);
 * ```
 */
export const MAX_LONGITUDE_E7 = 1_800_000_000;

/**
 * Converts decimal degrees to E7 units, rounded to the nearest integer.
 *
 * @example Degrees to E7 units, rounded
 * ```ts
 * import assert from "node:assert/strict";
 * import { toE7 } from "./geo.ts";
 * assert.equal(toE7(40.7128), 407_128_000);
 * assert.equal(toE7(-74.00601), -740_060_100);
 * assert.equal(toE7(1e-8), 0); // below E7 precision
 * ```
 */
export function toE7(degrees: number): number {
  return Math.round(degrees * COORD_FACTOR);
}

/**
 * Converts E7 units to decimal degrees.
 *
 * @example Showing a feature's latitude in degrees
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromE7 } from "./geo.ts";
 * const location = { latitude: 407_128_000, longitude: -740_060_000 };
 * assert.equal(fromE7(location.latitude), 40.7128);
 * assert.equal(`${fromE7(location.longitude)}°`, "-74.006°");
 * ```
 */
export function fromE7(e7: number): number {
  return e7 / COORD_FACTOR;
}

/**
 * Builds a point from decimal degrees.
 *
 * @example A point from a map's latitude and longitude
 * ```ts
 * import assert from "node:assert/strict";
 * import { pointFromDegrees } from "./geo.ts";
 * assert.deepEqual(pointFromDegrees(48.8566, 2.3522), { latitude: 488_566_000, longitude: 23_522_000 });
 * ```
 */
export function pointFromDegrees(latitude: number, longitude: number): Point {
  return { latitude: toE7(latitude), longitude: toE7(longitude) };
}

/**
 * Whether a point lies within +-90 degrees latitude and +-180 degrees
 * longitude.
 *
 * @example Checking a point before sending it
 * ```ts
 * import assert from "node:assert/strict";
 * import { isValidPoint, pointFromDegrees } from "./geo.ts";
 * assert.equal(isValidPoint(pointFromDegrees(0, 180)), true); // edges included
 * assert.equal(isValidPoint(pointFromDegrees(90.0000001, 0)), false);
 * assert.equal(isValidPoint({ latitude: 0, longitude: -1_800_000_001 }), false);
 * ```
 */
export function isValidPoint(point: Point): boolean {
  return Math.abs(point.latitude) <= MAX_LATITUDE_E7 &&
    Math.abs(point.longitude) <= MAX_LONGITUDE_E7;
}

/**
 * Great-circle (haversine) distance between two points in metres, on a
 * sphere of radius {@link EARTH_RADIUS_M}, not rounded.
 *
 * @example From Paris to London, in kilometres
 * ```ts
 * import assert from "node:assert/strict";
 * import { distance, pointFromDegrees } from "./geo.ts";
 * const paris = pointFromDegrees(48.8566, 2.3522);
 * const london = pointFromDegrees(51.5074, -0.1278);
 * assert.equal(Math.round(distance(paris, london) / 1000), 344);
 * assert.equal(distance(london, paris), distance(paris, london));
 * ```
 */
export function distance(start: Point, end: Point): number {
  return distanceE7(
    start.latitude,
    start.longitude,
    end.latitude,
    end.longitude,
  );
}

const E7_TO_RADIANS = Math.PI / 180 / COORD_FACTOR;

/**
 * {@link distance} over bare E7 coordinates, for hot loops that keep
 * coordinates in numbers rather than objects.
 *
 * @example One degree of latitude, from bare coordinates
 * ```ts
 * import assert from "node:assert/strict";
 * import { distance, distanceE7 } from "./geo.ts";
 * const m = distanceE7(0, 0, 10_000_000, 0);
 * assert.equal(Math.round(m), 111_195);
 * assert.equal(m, distance({ latitude: 0, longitude: 0 }, { latitude: 10_000_000, longitude: 0 }));
 * ```
 */
export function distanceE7(
  latitude1: number,
  longitude1: number,
  latitude2: number,
  longitude2: number,
): number {
  const lat1 = latitude1 * E7_TO_RADIANS;
  const lat2 = latitude2 * E7_TO_RADIANS;
  const dLat = lat2 - lat1;
  const dLng = (longitude2 - longitude1) * E7_TO_RADIANS;
  const a = Math.sin(dLat / 2) ** 2 +
    Math.cos(lat1) * Math.cos(lat2) * Math.sin(dLng / 2) ** 2;
  return EARTH_RADIUS_M * 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
}

/**
 * A rectangle with ordered, inclusive bounds in E7 units.
 *
 * @example Finding the features in the tropics
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Bounds, pointFromDegrees } from "./geo.ts";
 * import { FeatureDatabase } from "./features.ts";
 * const tropics: Bounds = {
 *   minLatitude: -234_366_000,
 *   maxLatitude: 234_366_000,
 *   minLongitude: -1_800_000_000,
 *   maxLongitude: 1_800_000_000,
 * };
 * const db = new FeatureDatabase([
 *   { name: "Singapore", location: pointFromDegrees(1.2897, 103.8501) },
 *   { name: "Oslo", location: pointFromDegrees(59.9127, 10.7461) },
 * ]);
 * assert.deepEqual(Array.from(db.within(tropics), (f) => f.name), ["Singapore"]);
 * ```
 */
export interface Bounds {
  /** Southern edge. */
  minLatitude: number;
  /** Northern edge. */
  maxLatitude: number;
  /** Western edge. */
  minLongitude: number;
  /** Eastern edge. */
  maxLongitude: number;
}

/**
 * Orders a rectangle's corners so that either diagonal describes the same
 * area.
 *
 * @example Either diagonal gives the same bounds
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeRectangle } from "./geo.ts";
 * const expected = { minLatitude: 0, maxLatitude: 10, minLongitude: 0, maxLongitude: 10 };
 * assert.deepEqual(normalizeRectangle({ latitude: 10, longitude: 0 }, { latitude: 0, longitude: 10 }), expected);
 * assert.deepEqual(normalizeRectangle({ latitude: 0, longitude: 0 }, { latitude: 10, longitude: 10 }), expected);
 * ```
 */
export function normalizeRectangle(lo: Point, hi: Point): Bounds {
  return {
    minLatitude: Math.min(lo.latitude, hi.latitude),
    maxLatitude: Math.max(lo.latitude, hi.latitude),
    minLongitude: Math.min(lo.longitude, hi.longitude),
    maxLongitude: Math.max(lo.longitude, hi.longitude),
  };
}

/**
 * Formats a point the way the demo client prints it: `(lat=<E7>, lng=<E7>)`.
 *
 * @example Printing a point
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatPoint } from "./geo.ts";
 * assert.equal(formatPoint({ latitude: 1, longitude: 2 }), "(lat=1, lng=2)");
 * ```
 */
export function formatPoint(point: Point): string {
  return `(lat=${point.latitude}, lng=${point.longitude})`;
}

/**
 * Whether a point lies inside bounds (edges included).
 *
 * @example Edges are inside
 * ```ts
 * import assert from "node:assert/strict";
 * import { contains } from "./geo.ts";
 * const b = { minLatitude: 0, maxLatitude: 10, minLongitude: 0, maxLongitude: 10 };
 * assert.equal(contains(b, { latitude: 10, longitude: 0 }), true);
 * assert.equal(contains(b, { latitude: 11, longitude: 0 }), false);
 * ```
 */
export function contains(bounds: Bounds, point: Point): boolean {
  return point.latitude >= bounds.minLatitude &&
    point.latitude <= bounds.maxLatitude &&
    point.longitude >= bounds.minLongitude &&
    point.longitude <= bounds.maxLongitude;
}
