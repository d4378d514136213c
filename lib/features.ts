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

function pointKey(latitude: number, longitude: number): string {
  return `${latitude},${longitude}`;
}

/**
 * An immutable, indexed list of features. Database order is the order the
 * features were given in; duplicates at one point are kept, and the first
 * one is the feature "at" that point.
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
  readonly #byPoint = new Map<string, number>();
  // kdbush cannot build an empty tree; an empty database has none.
  readonly #tree: KDBush | undefined;

  /** Indexes the given features (all must have a location). */
  constructor(features: readonly Feature[]) {
    this.#features = features;
    if (features.length === 0) return;
    const tree = new KDBush(features.length, 64, Int32Array);
    for (let i = 0; i < features.length; i++) {
      const { latitude, longitude } = features[i].location!;
      const key = pointKey(latitude, longitude);
      if (!this.#byPoint.has(key)) this.#byPoint.set(key, i);
      tree.add(longitude, latitude);
    }
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
    return this.#byPoint.get(pointKey(latitude, longitude)) ?? -1;
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
    return this.indicesWithin(bounds).map((id) => this.#features[id]);
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
   * db.indicesWithin({ minLatitude: 0, maxLatitude: 10, minLongitude: 0, maxLongitude: 10 }); // [1]
   * ```
   */
  indicesWithin(bounds: Bounds): number[] {
    if (!this.#tree) return [];
    const ids = this.#tree.range(
      bounds.minLongitude,
      bounds.minLatitude,
      bounds.maxLongitude,
      bounds.maxLatitude,
    );
    // kdbush returns tree order; ids are database positions.
    return ids.sort((a, b) => a - b);
  }
}
