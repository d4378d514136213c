/**
 * Deterministic bench data: feature databases of any size, and the request
 * bodies the load generators send, so that every server answers the same
 * questions.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Bounds } from "../lib/domain/geo.ts";
import type { Feature, Point } from "../lib/domain/types.ts";
import { encodePoint } from "../lib/grpc/wire_encode.ts";

/**
 * A small seeded PRNG (mulberry32): the same data on every run, for the
 * benches and the tests alike.
 *
 * @example
 * ```ts
 * import { mulberry32 } from "./data.ts";
 * const next = mulberry32(7);
 * next() === mulberry32(7)(); // true
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Where the generated places lie: latitude -60..70, longitude -180..180. */
const LAT_MIN = -600_000_000;
const LAT_SPAN = 1_300_000_000;
const LNG_MIN = -1_800_000_000;
const LNG_SPAN = 3_600_000_000;

/**
 * `count` places spread uniformly over the inhabited latitudes, named like
 * cities ("Place 123, XY"), every 50th unnamed (unnamed entries are features
 * too).
 */
export function makeFeatures(count: number, seed = 1): Feature[] {
  const next = mulberry32(seed);
  const features: Feature[] = [];
  for (let i = 0; i < count; i++) {
    const location = {
      latitude: LAT_MIN + Math.floor(next() * LAT_SPAN),
      longitude: LNG_MIN + Math.floor(next() * LNG_SPAN),
    };
    const country = String.fromCharCode(
      65 + Math.floor(next() * 26),
      65 + Math.floor(next() * 26),
    );
    features.push({
      name: i % 50 === 49 ? "" : `Place ${i}, ${country}`,
      location,
    });
  }
  return features;
}

/**
 * A rectangle holding about `share` of a {@link makeFeatures} database:
 * a latitude band over the western hemisphere.
 */
export function shareRectangle(share: number): Bounds {
  // Half the longitudes times a latitude band of 2 * share of the span.
  return {
    minLatitude: 0,
    maxLatitude: Math.round(LAT_SPAN * 2 * share),
    minLongitude: -1_800_000_000,
    maxLongitude: 0,
  };
}

/**
 * A route of `count` points: a walk in small steps where every 10th point
 * is exactly a database feature (so `feature_count` is count / 10).
 */
export function makeRoute(
  features: readonly Feature[],
  count: number,
): Point[] {
  const next = mulberry32(7);
  const points: Point[] = [];
  let latitude = 0;
  let longitude = 0;
  for (let i = 0; i < count; i++) {
    if (i % 10 === 0) {
      ({ latitude, longitude } = features[Math.floor(next() * features.length)]
        .location!);
    } else {
      latitude = Math.max(
        -900_000_000,
        Math.min(900_000_000, latitude + Math.floor((next() - 0.5) * 100_000)),
      );
      longitude = Math.max(
        -1_800_000_000,
        Math.min(
          1_800_000_000,
          longitude + Math.floor((next() - 0.5) * 100_000),
        ),
      );
    }
    points.push({ latitude, longitude });
  }
  return points;
}

/** Writes a feature list as a classic route_guide_db.json file. */
export async function writeDb(
  path: string,
  features: readonly Feature[],
): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(features));
}

/**
 * A message as a gRPC length-prefixed frame (uncompressed): a request body
 * as h2load sends it.
 *
 * @example
 * ```ts
 * import { grpcFrame } from "./data.ts";
 * grpcFrame(new Uint8Array([8, 1])); // <Buffer 00 00 00 00 02 08 01>
 * ```
 */
export function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/**
 * Writes `dir/db.json` (`count` generated features) and `dir/get.bin`, a
 * framed GetFeature request for the feature in the middle of it: what the
 * GC survey (gc_survivors.ts) drives.
 *
 * @example
 * ```ts ignore
 * import { writeGetFeatureBench } from "./data.ts";
 * await writeGetFeatureBench(await Deno.makeTempDir(), 100);
 * ```
 */
export async function writeGetFeatureBench(
  dir: string,
  count: number,
): Promise<void> {
  const features = makeFeatures(count);
  await writeDb(`${dir}/db.json`, features);
  const middle = features[count >> 1].location!;
  await Deno.writeFile(`${dir}/get.bin`, grpcFrame(encodePoint(middle)));
}
