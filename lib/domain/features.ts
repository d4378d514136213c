/**
 * The feature database: named places at E7 points, indexed two ways so that
 * no query scans it. Exact-point lookups (GetFeature, RecordRoute) go through
 * a hash map on the E7 pair; rectangle queries (ListFeatures) through
 * static k-d trees (kdbush), so their cost follows the number of matches.
 * There is a tree per block of 4,096 features in database order, so that a
 * query can answer block by block: a call streaming the whole world holds
 * one block's matches at a time, not 135,000. A block that the query's
 * bounds cover whole is taken as it is, without a search.
 *
 * @module
 */
import KDBush from "kdbush";
import type { Bounds } from "./geo.ts";
import type { Feature, Point } from "./types.ts";

// Features per k-d tree: a block's matches are what a query holds at once.
const BLOCK = 4_096;

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
 * @example Indexing features and looking one up by its point
 * ```ts
 * import assert from "node:assert/strict";
 * import { FeatureDatabase } from "./features.ts";
 * const db = new FeatureDatabase([
 *   { name: "Origin", location: { latitude: 0, longitude: 0 } },
 *   { name: "Second at the origin", location: { latitude: 0, longitude: 0 } },
 *   { name: "North", location: { latitude: 10_000_000, longitude: 0 } },
 * ]);
 * assert.equal(db.size, 3);
 * assert.equal(db.at({ latitude: 0, longitude: 0 })?.name, "Origin"); // the first one wins
 * assert.equal(db.at({ latitude: 1, longitude: 0 }), undefined);
 * assert.ok(Object.isFrozen(db.features[2]));
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
  // A k-d tree per block of BLOCK features, in database order.
  readonly #trees: KDBush[] = [];
  // Each block's bounding box (min latitude, max latitude, min longitude,
  // max longitude): a query covering a block takes all of it in order,
  // with no search, sort or array (a whole-world ListFeatures, 300 of which
  // may start at once).
  readonly #boxes: Int32Array;

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
    this.#boxes = new Int32Array(4 * Math.ceil(n / BLOCK));
    for (let start = 0; start < n; start += BLOCK) {
      const end = Math.min(n, start + BLOCK);
      const tree = new KDBush(end - start, 64, Int32Array);
      let [minLat, maxLat] = [latitudes[start], latitudes[start]];
      let [minLon, maxLon] = [longitudes[start], longitudes[start]];
      for (let i = start; i < end; i++) {
        tree.add(longitudes[i], latitudes[i]);
        minLat = Math.min(minLat, latitudes[i]);
        maxLat = Math.max(maxLat, latitudes[i]);
        minLon = Math.min(minLon, longitudes[i]);
        maxLon = Math.max(maxLon, longitudes[i]);
      }
      this.#boxes.set([minLat, maxLat, minLon, maxLon], 4 * (start / BLOCK));
      this.#trees.push(tree.finish());
    }
  }

  /**
   * How many features the database holds.
   *
   * @example Counting features, duplicates included
   * ```ts
   * import assert from "node:assert/strict";
   * import { FeatureDatabase } from "./features.ts";
   * const here = { latitude: 1, longitude: 2 };
   * assert.equal(new FeatureDatabase([{ name: "a", location: here }, { name: "b", location: here }]).size, 2);
   * assert.equal(new FeatureDatabase([]).size, 0);
   * ```
   */
  get size(): number {
    return this.#features.length;
  }

  /**
   * Every feature, in database order.
   *
   * @example Listing every feature's name
   * ```ts
   * import assert from "node:assert/strict";
   * import { FeatureDatabase } from "./features.ts";
   * const db = new FeatureDatabase([
   *   { name: "B", location: { latitude: 2, longitude: 2 } },
   *   { name: "A", location: { latitude: 1, longitude: 1 } },
   * ]);
   * assert.deepEqual(db.features.map((f) => f.name), ["B", "A"]);
   * ```
   */
  get features(): readonly Feature[] {
    return this.#features;
  }

  /**
   * The first feature stored exactly at a point, if any.
   *
   * @example Naming the place a point is at
   * ```ts
   * import assert from "node:assert/strict";
   * import { FeatureDatabase } from "./features.ts";
   * import { pointFromDegrees } from "./geo.ts";
   * const db = new FeatureDatabase([{ name: "Paris", location: pointFromDegrees(48.8566, 2.3522) }]);
   * assert.equal(db.at(pointFromDegrees(48.8566, 2.3522))?.name, "Paris");
   * assert.equal(db.at(pointFromDegrees(48.8567, 2.3522)), undefined); // exact points only
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
   * @example Counting the route points that land on a feature, without objects
   * ```ts
   * import assert from "node:assert/strict";
   * import { FeatureDatabase } from "./features.ts";
   * const db = new FeatureDatabase([
   *   { name: "Origin", location: { latitude: 0, longitude: 0 } },
   * ]);
   * const route = new Int32Array([0, 0, 5, 0, 0, 0]); // latitude, longitude pairs
   * let passed = 0;
   * for (let i = 0; i < route.length; i += 2) {
   *   if (db.indexOf(route[i], route[i + 1]) >= 0) passed++;
   * }
   * assert.equal(passed, 2);
   * assert.equal(db.features[db.indexOf(0, 0)].name, "Origin");
   * assert.equal(db.indexOf(5, 0), -1);
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
   * Every feature inside bounds (edges included), in database order,
   * found a block at a time as they are taken.
   *
   * @example Every feature in a box, edges included
   * ```ts
   * import assert from "node:assert/strict";
   * import { FeatureDatabase } from "./features.ts";
   * const db = new FeatureDatabase([
   *   { name: "A", location: { latitude: 5, longitude: 5 } },
   *   { name: "B", location: { latitude: 50, longitude: 5 } },
   *   { name: "C", location: { latitude: 10, longitude: 0 } },
   * ]);
   * const bounds = { minLatitude: 0, maxLatitude: 10, minLongitude: 0, maxLongitude: 10 };
   * assert.deepEqual(Array.from(db.within(bounds), (f) => f.name), ["A", "C"]);
   * ```
   */
  *within(bounds: Bounds): Generator<Feature, void, undefined> {
    const features = this.#features;
    for (let block = 0; block < this.#trees.length; block++) {
      if (this.#covers(block, bounds)) {
        const end = Math.min(features.length, (block + 1) * BLOCK);
        for (let i = block * BLOCK; i < end; i++) yield features[i];
        continue;
      }
      const ids = this.#blockWithin(block, bounds);
      for (let i = 0; i < ids.length; i++) yield features[ids[i]];
    }
  }

  /**
   * The database positions of every feature inside bounds (edges
   * included), ascending: {@link within} as indices.
   *
   * @example Positions of the features in a box
   * ```ts
   * import assert from "node:assert/strict";
   * import { FeatureDatabase } from "./features.ts";
   * const db = new FeatureDatabase([
   *   { name: "A", location: { latitude: 50, longitude: 5 } },
   *   { name: "B", location: { latitude: 5, longitude: 5 } },
   * ]);
   * const ids = db.indicesWithin({ minLatitude: 0, maxLatitude: 10, minLongitude: 0, maxLongitude: 10 });
   * assert.deepEqual(ids, new Uint32Array([1]));
   * assert.equal(db.features[ids[0]].name, "B");
   * ```
   */
  indicesWithin(bounds: Bounds): Uint32Array {
    const blocks = this.#trees.map((_, block) =>
      this.#blockWithin(block, bounds)
    );
    const ids = new Uint32Array(blocks.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const block of blocks) {
      ids.set(block, at);
      at += block.length;
    }
    return ids;
  }

  /** Whether bounds hold every feature of a block. */
  #covers(block: number, bounds: Bounds): boolean {
    const box = this.#boxes;
    const at = 4 * block;
    return bounds.minLatitude <= box[at] && box[at + 1] <= bounds.maxLatitude &&
      bounds.minLongitude <= box[at + 2] && box[at + 3] <= bounds.maxLongitude;
  }

  /** The database positions inside bounds in one block, ascending. */
  #blockWithin(block: number, bounds: Bounds): Uint32Array {
    const start = block * BLOCK;
    if (this.#covers(block, bounds)) {
      const size = Math.min(BLOCK, this.#features.length - start);
      return Uint32Array.from({ length: size }, (_, i) => start + i);
    }
    const ids = Uint32Array.from(
      this.#trees[block].range(
        bounds.minLongitude,
        bounds.minLatitude,
        bounds.maxLongitude,
        bounds.maxLatitude,
      ),
    );
    // kdbush returns tree order, as positions in the block. A typed array
    // sorts numerically and natively: 5x faster than a comparator.
    ids.sort();
    for (let i = 0; i < ids.length; i++) ids[i] += start;
    return ids;
  }
}
