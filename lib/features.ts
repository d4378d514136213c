/**
 * The feature database: named places at E7 points, indexed two ways so that
 * no query scans it. Exact-point lookups (GetFeature, RecordRoute) go through
 * a hash map on the E7 pair; rectangle queries (ListFeatures) through a
 * static k-d tree (kdbush), so their cost follows the number of matches.
 *
 * @module
 */
import KDBush from "kdbush";
import type { Bounds } from "./geo.ts";
import type { Feature, Point } from "./types.ts";

/**
 * Hash of an E7 pair for the open-addressing table below (a multiplicative
 * mix; the table size is a power of two, so the high bits matter).
 */
function hashPoint(latitude: number, longitude: number): number {
  let h = Math.imul(latitude, 0x9e3779b1) ^ Math.imul(longitude, 0x85ebca77);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 13);
}

/**
 * An immutable, indexed list of features. Database order is the order the
 * features were given in; duplicates at one point are kept, and the first
 * one is the feature "at" that point. The database takes the features it
 * is given and freezes them (so that their encodings can be cached).
 *
 * @example
 * ```ts
 * import { FeatureDatabase } from "./features.ts";
 * const db = new FeatureDatabase([
 *   { name: "Origin", location: { latitude: 0, longitude: 0 } },
 * ]);
 * db.at({ latitude: 0, longitude: 0 })?.name; // "Origin"
 * ```
 */
export class FeatureDatabase {
  readonly #features: readonly Feature[];
  // Coordinates in typed arrays: compact, and compared without touching
  // the feature objects.
  readonly #latitudes: Int32Array;
  readonly #longitudes: Int32Array;
  // Exact-point index: open addressing with linear probing; a slot holds
  // a database position + 1, 0 when empty. At most half full.
  readonly #slots: Int32Array;
  readonly #mask: number;
  // kdbush cannot build an empty tree; an empty database has none.
  readonly #tree: KDBush | undefined;

  /** Indexes the given features (all must have a location). */
  constructor(features: readonly Feature[]) {
    const n = features.length;
    const latitudes = new Int32Array(n);
    const longitudes = new Int32Array(n);
    let capacity = 16;
    while (capacity < n * 2) capacity *= 2;
    const slots = new Int32Array(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < n; i++) {
      const feature = features[i];
      const latitude = feature.location!.latitude;
      const longitude = feature.location!.longitude;
      Object.freeze(feature.location);
      Object.freeze(feature);
      latitudes[i] = latitude;
      longitudes[i] = longitude;
      let slot = hashPoint(latitude, longitude) & mask;
      for (;;) {
        const held = slots[slot] - 1;
        if (held < 0) {
          slots[slot] = i + 1;
          break;
        }
        // The first feature at a point is the one "at" it.
        if (latitudes[held] === latitude && longitudes[held] === longitude) {
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    this.#features = features;
    this.#latitudes = latitudes;
    this.#longitudes = longitudes;
    this.#slots = slots;
    this.#mask = mask;
    if (n === 0) return;
    const tree = new KDBush(n, 64, Int32Array);
    for (let i = 0; i < n; i++) tree.add(longitudes[i], latitudes[i]);
    this.#tree = tree.finish();
  }

  /** How many features the database holds. */
  get size(): number {
    return this.#features.length;
  }

  /** Every feature, in database order. */
  get features(): readonly Feature[] {
    return this.#features;
  }

  /**
   * The first feature stored exactly at a point, if any.
   *
   * @example
   * ```ts
   * import { FeatureDatabase } from "./features.ts";
   * new FeatureDatabase([]).at({ latitude: 1, longitude: 2 }); // undefined
   * ```
   */
  at(point: Point): Feature | undefined {
    const i = this.indexOf(point.latitude, point.longitude);
    return i < 0 ? undefined : this.#features[i];
  }

  /**
   * The database position of the first feature stored exactly at
   * (`latitude`, `longitude`), or -1: {@link at} without allocating.
   *
   * @example
   * ```ts
   * import { FeatureDatabase } from "./features.ts";
   * const db = new FeatureDatabase([
   *   { name: "Origin", location: { latitude: 0, longitude: 0 } },
   * ]);
   * db.indexOf(0, 0); // 0
   * db.indexOf(1, 0); // -1
   * ```
   */
  indexOf(latitude: number, longitude: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    let slot = hashPoint(latitude, longitude) & mask;
    for (;;) {
      const i = slots[slot] - 1;
      if (i < 0) return -1;
      if (
        this.#latitudes[i] === latitude && this.#longitudes[i] === longitude
      ) return i;
      slot = (slot + 1) & mask;
    }
  }

  /**
   * Every feature inside bounds (edges included), in database order.
   *
   * @example
   * ```ts
   * import { FeatureDatabase } from "./features.ts";
   * const db = new FeatureDatabase([
   *   { name: "A", location: { latitude: 5, longitude: 5 } },
   *   { name: "B", location: { latitude: 50, longitude: 5 } },
   * ]);
   * db.within({ minLatitude: 0, maxLatitude: 10, minLongitude: 0, maxLongitude: 10 })
   *   .map((f) => f.name); // ["A"]
   * ```
   */
  within(bounds: Bounds): Feature[] {
    const ids = this.indicesWithin(bounds);
    const found = new Array<Feature>(ids.length);
    for (let i = 0; i < ids.length; i++) found[i] = this.#features[ids[i]];
    return found;
  }

  /**
   * The database positions of every feature inside bounds (edges
   * included), ascending: {@link within} as indices.
   *
   * @example
   * ```ts
   * import { FeatureDatabase } from "./features.ts";
   * const db = new FeatureDatabase([
   *   { name: "A", location: { latitude: 50, longitude: 5 } },
   *   { name: "B", location: { latitude: 5, longitude: 5 } },
   * ]);
   * db.indicesWithin({ minLatitude: 0, maxLatitude: 10, minLongitude: 0, maxLongitude: 10 }); // Uint32Array [1]
   * ```
   */
  indicesWithin(bounds: Bounds): Uint32Array {
    if (!this.#tree) return new Uint32Array(0);
    const ids = this.#tree.range(
      bounds.minLongitude,
      bounds.minLatitude,
      bounds.maxLongitude,
      bounds.maxLatitude,
    );
    // kdbush returns tree order; ids are database positions. A typed
    // array sorts numerically and natively: 5x faster than a comparator.
    return Uint32Array.from(ids).sort();
  }
}
