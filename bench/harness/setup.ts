/**
 * One end-to-end run's settings and data: how long and how often each
 * measurement runs (full or `--quick`), the run's directory with the
 * generated databases and the request bodies the generators send, and the
 * checked-out "before" commit. Everything else in the harness takes the
 * {@link Bench} this makes.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { FeatureDatabase } from "../../lib/domain/features.ts";
import type { Feature, Point } from "../../lib/domain/types.ts";
import { encodePoint, encodeRectangle } from "../../lib/grpc/wire_encode.ts";
import {
  grpcFrame,
  makeFeatures,
  makeRoute,
  shareRectangle,
  writeDb,
} from "../data.ts";
import { checkOutBefore, SERVER_NAMES, type ServerSetup } from "./servers.ts";

/** Points per RecordRoute call. */
export const ROUTE_POINTS = 10_000;
/** Windows per pair of servers in a paired row. */
export const WINDOWS = 3;
/**
 * Rounds of GetFeature on 100 features: one, to leave time for the paired
 * rows (which carry its ratio to the ceiling).
 */
export const GF100_ROUNDS = 1;

/** What the command line asks for. */
export interface Options {
  quick: boolean;
  /** Servers to compare, in run order (of {@link SERVER_NAMES}). */
  servers: string[];
  /** Also run ours as of this commit. */
  before?: string;
  aa: boolean;
}

/** A run: its settings, its directory and its data. */
export interface Bench extends ServerSetup {
  /** Servers to compare, in run order; "before" just ahead of "ours". */
  names: string[];
  /** Seconds of each measured run or paired window. */
  seconds: number;
  /**
   * Rounds of the 100,000-feature workloads: two, to leave time for the
   * paired rows, which carry the ratios to the ceiling (and to naive for
   * GetFeature); the naive ratios these rounds carry have margins of 3-50x.
   */
  rounds: number;
  /** Rounds of RouteChat, on servers started for each round. */
  freshRounds: number;
  /** Pairs of servers per paired row (some rows have one). */
  pairs: number;
  /**
   * RouteChat notes per measured run: a fixed amount, because every stored
   * note makes the server's heap (and its garbage collections) bigger.
   */
  chatNotes: number;
  /** Features of 100,000 in the ListFeatures rectangle. */
  inRect: number;
  /** The ListFeatures request, gRPC-framed. */
  rectangle: Buffer;
  /**
   * The first of `count` RouteChat locations no run has used yet, so that
   * no run answers another's notes.
   */
  freshLocations(count: number): number;
}

/** Fails with an install hint if a tool the bench runs is missing. */
export async function checkTools(): Promise<void> {
  for (const tool of ["taskset", "h2load", "node"]) {
    const found = await new Deno.Command("sh", {
      args: ["-c", `command -v ${tool}`],
      stdout: "null",
    }).output();
    if (!found.success) {
      throw new Error(
        `bench: ${tool} not found (h2load: apt-get install nghttp2-client)`,
      );
    }
  }
}

/**
 * Makes the run's directory: db100.json and db100k.json (generated
 * places), the request bodies get100.bin, get100k.bin (and get100k.raw,
 * unframed), list.bin and route.bin, and `before/` with `--before`. Remove `dir` when done.
 */
export async function prepare(options: Options): Promise<Bench> {
  const unknown = options.servers.filter((s) => !SERVER_NAMES.includes(s));
  if (unknown.length > 0) throw new Error(`unknown servers: ${unknown}`);
  const names = [...options.servers];
  if (options.before) {
    const ours = names.indexOf("ours");
    names.splice(ours < 0 ? names.length : ours, 0, "before");
  }
  const dir = await Deno.makeTempDir({ prefix: "routeguide-bench-" });
  try {
    if (options.before) await checkOutBefore(dir, options.before);
    const { inRect, rectangle } = await writeData(dir);
    let nextLocation = 0;
    return {
      dir,
      aa: options.aa,
      names,
      seconds: options.quick ? 1 : 1.5,
      rounds: options.quick ? 1 : 2,
      freshRounds: options.quick ? 1 : 3,
      pairs: options.quick ? 1 : 2,
      chatNotes: options.quick ? 20_000 : 60_000,
      inRect,
      rectangle,
      freshLocations(count) {
        nextLocation += count;
        return nextLocation - count;
      },
    };
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}

/** Writes the databases and request bodies (see {@link prepare}). */
async function writeData(
  dir: string,
): Promise<{ inRect: number; rectangle: Buffer }> {
  const small = makeFeatures(100);
  const large = makeFeatures(100_000);
  await writeDb(`${dir}/db100.json`, small);
  await writeDb(`${dir}/db100k.json`, large);
  const rect = shareRectangle(0.05);
  const rectangle = grpcFrame(encodeRectangle({
    lo: { latitude: rect.minLatitude, longitude: rect.minLongitude },
    hi: { latitude: rect.maxLatitude, longitude: rect.maxLongitude },
  }));
  // GetFeature asks for the feature in the middle of the database: the
  // average cost of a scan, a hit for the index.
  const middle = (features: Feature[]): Point =>
    features[features.length >> 1].location!;
  const route = makeRoute(large, ROUTE_POINTS);
  await Deno.writeFile(
    `${dir}/get100.bin`,
    grpcFrame(encodePoint(middle(small))),
  );
  await Deno.writeFile(
    `${dir}/get100k.bin`,
    grpcFrame(encodePoint(middle(large))),
  );
  // The same Point bare: a unary Connect body, for ours' web port.
  await Deno.writeFile(`${dir}/get100k.raw`, encodePoint(middle(large)));
  await Deno.writeFile(`${dir}/list.bin`, rectangle);
  await Deno.writeFile(
    `${dir}/route.bin`,
    Buffer.concat(route.map((p) => grpcFrame(encodePoint(p)))),
  );
  return {
    inRect: new FeatureDatabase(large).indicesWithin(rect).length,
    rectangle,
  };
}
