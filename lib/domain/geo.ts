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
 * @example
 * ```ts
 * import { COORD_FACTOR } from "./geo.ts";
 * 407_128_000 / COORD_FACTOR; // 40.7128
 * ```
 */
export const COORD_FACTOR = 1e7;

/**
 * Mean earth radius used for distances, in metres.
 *
 * @example
 * ```ts
 * import { EARTH_RADIUS_M } from "./geo.ts";
 * const equator = 2 * Math.PI * EARTH_RADIUS_M; // about 40,030 km
 * ```
 */
export const EARTH_RADIUS_M = 6_371_000;

/**
 * Largest valid latitude in E7 units (90 degrees).
 *
 * @example
 * ```ts
 * import { MAX_LATITUDE_E7 } from "./geo.ts";
 * Math.abs(-900_000_000) <= MAX_LATITUDE_E7; // true: the South Pole
 * ```
 */
export const MAX_LATITUDE_E7 = 900_000_000;

/**
 * Largest valid longitude in E7 units (180 degrees).
 *
 * @example
 * ```ts
 * import { MAX_LONGITUDE_E7 } from "./geo.ts";
 * Math.abs(1_800_000_001) <= MAX_LONGITUDE_E7; // false
 * ```
 */
export const MAX_LONGITUDE_E7 = 1_800_000_000;

/**
 * Converts decimal degrees to E7 units, rounded to the nearest integer.
 *
 * @example
 * ```ts
 * import { toE7 } from "./geo.ts";
 * toE7(40.7128); // 407128000
 * ```
 */
export function toE7(degrees: number): number {
  return Math.round(degrees * COORD_FACTOR);
}

/**
 * Converts E7 units to decimal degrees.
 *
 * @example
 * ```ts
 * import { fromE7 } from "./geo.ts";
 * fromE7(407128000); // 40.7128
 * ```
 */
export function fromE7(e7: number): number {
  return e7 / COORD_FACTOR;
}

/**
 * Builds a point from decimal degrees.
 *
 * @example
 * ```ts
 * import { pointFromDegrees } from "./geo.ts";
 * pointFromDegrees(48.8566, 2.3522); // { latitude: 488566000, longitude: 23522000 }
 * ```
 */
export function pointFromDegrees(latitude: number, longitude: number): Point {
  return { latitude: toE7(latitude), longitude: toE7(longitude) };
}

/**
 * Whether a point lies within +-90 degrees latitude and +-180 degrees
 * longitude.
 *
 * @example
 * ```ts
 * import { isValidPoint } from "./geo.ts";
 * isValidPoint({ latitude: 0, longitude: 1_800_000_000 }); // true
 * isValidPoint({ latitude: 900_000_001, longitude: 0 }); // false
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
 * @example
 * ```ts
 * import { distance } from "./geo.ts";
 * const m = distance({ latitude: 0, longitude: 0 }, { latitude: 10_000_000, longitude: 0 });
 * // m is about 111195 (one degree of latitude)
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
 * @example
 * ```ts
 * import { distanceE7 } from "./geo.ts";
 * const m = distanceE7(0, 0, 10_000_000, 0); // about 111195
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
 * @example
 * ```ts
 * import type { Bounds } from "./geo.ts";
 * const tropics: Bounds = {
 *   minLatitude: -234_366_000,
 *   maxLatitude: 234_366_000,
 *   minLongitude: -1_800_000_000,
 *   maxLongitude: 1_800_000_000,
 * };
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
 * @example
 * ```ts
 * import { normalizeRectangle } from "./geo.ts";
 * normalizeRectangle({ latitude: 10, longitude: 0 }, { latitude: 0, longitude: 10 });
 * // { minLatitude: 0, maxLatitude: 10, minLongitude: 0, maxLongitude: 10 }
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
 * @example
 * ```ts
 * import { formatPoint } from "./geo.ts";
 * formatPoint({ latitude: 1, longitude: 2 }); // "(lat=1, lng=2)"
 * ```
 */
export function formatPoint(point: Point): string {
  return `(lat=${point.latitude}, lng=${point.longitude})`;
}

/**
 * Whether a point lies inside bounds (edges included).
 *
 * @example
 * ```ts
 * import { contains } from "./geo.ts";
 * const b = { minLatitude: 0, maxLatitude: 10, minLongitude: 0, maxLongitude: 10 };
 * contains(b, { latitude: 10, longitude: 0 }); // true
 * ```
 */
export function contains(bounds: Bounds, point: Point): boolean {
  return point.latitude >= bounds.minLatitude &&
    point.latitude <= bounds.maxLatitude &&
    point.longitude >= bounds.minLongitude &&
    point.longitude <= bounds.maxLongitude;
}
