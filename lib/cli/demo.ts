/**
 * The classic RouteGuide tutorial run: GetFeature, ListFeatures,
 * RecordRoute and RouteChat against any RouteGuide server, printed in the
 * tutorial's format.
 *
 * @module
 */
import type { CallOptions, RouteGuideClient } from "../grpc/client.ts";
import { formatPoint } from "../domain/geo.ts";
import { RouteGuideError, Status } from "../domain/errors.ts";
import type {
  Feature,
  Point,
  Rectangle,
  RouteNote,
  RouteSummary,
} from "../domain/types.ts";

/**
 * The tutorial's ListFeatures area: latitude 40..42, longitude -75..-73.
 *
 * @example
 * ```ts
 * import { DEMO_RECTANGLE } from "./demo.ts";
 * DEMO_RECTANGLE.lo; // { latitude: 400000000, longitude: -750000000 }
 * ```
 */
export const DEMO_RECTANGLE: Rectangle = {
  lo: { latitude: 400_000_000, longitude: -750_000_000 },
  hi: { latitude: 420_000_000, longitude: -730_000_000 },
};

/** The classic demo's point with a feature, used when the area is empty. */
const CLASSIC_FEATURE_POINT: Point = {
  latitude: 409_146_138,
  longitude: -746_188_906,
};

/**
 * The tutorial's five RouteChat notes, at E7 points (1, 1) and (2, 2).
 *
 * @example
 * ```ts
 * import { DEMO_NOTES } from "./demo.ts";
 * DEMO_NOTES[0].message; // "Departing from home"
 * ```
 */
export const DEMO_NOTES: readonly RouteNote[] = [
  ["Departing from home", 1],
  ["Arrived at work", 2],
  ["Having lunch at work", 2],
  ["Departing from work", 2],
  ["Arrived home", 1],
].map(([message, at]) => ({
  message: message as string,
  location: { latitude: at as number, longitude: at as number },
}));

/**
 * How the demo paces and sizes itself.
 *
 * @example
 * ```ts
 * import type { DemoOptions } from "./demo.ts";
 * const quick: DemoOptions = { routePoints: 3, notePauseMs: 0 };
 * ```
 */
export interface DemoOptions {
  /** Points visited by RecordRoute (default 10). */
  routePoints?: number;
  /** Pause between RouteChat notes, in ms (default 100). */
  notePauseMs?: number;
  /** Random source in [0, 1) for picking route points (default Math.random). */
  random?: () => number;
  /** Options for each of the demo's calls, such as a deadline. */
  call?: CallOptions;
}

/**
 * A feature as the tutorial prints it: `Feature called '<name>' at
 * (lat=<E7>, lng=<E7>)`, or `Found no feature at ...` when it has no name.
 *
 * @example
 * ```ts
 * import { formatFeature } from "./demo.ts";
 * formatFeature({ name: "", location: { latitude: 1, longitude: 2 } });
 * // "Found no feature at (lat=1, lng=2)"
 * ```
 */
export function formatFeature(feature: Feature): string {
  return feature.name
    ? `Feature called '${feature.name}' at ${formatPoint(feature.location!)}`
    : `Found no feature at ${formatPoint(feature.location!)}`;
}

/**
 * A feature from a ListFeatures answer: as {@link formatFeature} when it has
 * a name, `Feature with no name at ...` when not (other servers list
 * unnamed features; "found no feature" would misread them).
 *
 * @example
 * ```ts
 * import { formatListedFeature } from "./demo.ts";
 * formatListedFeature({ name: "", location: { latitude: 1, longitude: 2 } });
 * // "Feature with no name at (lat=1, lng=2)"
 * ```
 */
export function formatListedFeature(feature: Feature): string {
  return feature.name
    ? formatFeature(feature)
    : `Feature with no name at ${formatPoint(feature.location!)}`;
}

/**
 * The tutorial's line for a RecordRoute point being sent.
 *
 * @example
 * ```ts
 * import { formatVisiting } from "./demo.ts";
 * formatVisiting({ latitude: 1, longitude: 2 }); // "Visiting point (lat=1, lng=2)"
 * ```
 */
export function formatVisiting(point: Point): string {
  return `Visiting point ${formatPoint(point)}`;
}

/**
 * The tutorial's four lines for a RecordRoute summary. A negative distance
 * (an int32 sum that overflowed on another server) is called out of range
 * rather than printed as meters: how often it wrapped is unknown, so no
 * unsigned reading of it can be trusted.
 *
 * @example
 * ```ts
 * import { formatSummary } from "./demo.ts";
 * formatSummary({ pointCount: 2, featureCount: 1, distance: 157, elapsedTime: 0 });
 * // ["Finished trip with 2 points", "Passed 1 features",
 * //  "Traveled 157 meters", "It took 0 seconds"]
 * ```
 */
export function formatSummary(summary: RouteSummary): string[] {
  return [
    `Finished trip with ${summary.pointCount} points`,
    `Passed ${summary.featureCount} features`,
    summary.distance < 0
      ? `Traveled a distance out of range (the server sent ${summary.distance} meters)`
      : `Traveled ${summary.distance} meters`,
    `It took ${summary.elapsedTime} seconds`,
  ];
}

/**
 * The tutorial's line for a RouteChat note being sent.
 *
 * @example
 * ```ts
 * import { formatSentNote } from "./demo.ts";
 * formatSentNote({ location: { latitude: 1, longitude: 1 }, message: "hi" });
 * // "Sending RouteNote for (lat=1, lng=1): hi"
 * ```
 */
export function formatSentNote(note: RouteNote): string {
  return `Sending RouteNote for ${
    formatPoint(note.location!)
  }: ${note.message}`;
}

/**
 * The tutorial's line for a RouteChat note the server returned.
 *
 * @example
 * ```ts
 * import { formatReceivedNote } from "./demo.ts";
 * formatReceivedNote({ location: { latitude: 1, longitude: 1 }, message: "hi" });
 * // "< Found previous note at (lat=1, lng=1): hi"
 * ```
 */
export function formatReceivedNote(note: RouteNote): string {
  return `< Found previous note at ${
    formatPoint(note.location!)
  }: ${note.message}`;
}

/**
 * Yields `count` points, each the location of a feature picked at random
 * from `features` (none when `features` is empty).
 *
 * @example
 * ```ts
 * import { randomRoute } from "./demo.ts";
 * const features = [{ name: "A", location: { latitude: 1, longitude: 2 } }];
 * [...randomRoute(features, 2)]; // two copies of (1, 2)
 * ```
 */
export function* randomRoute(
  features: readonly Feature[],
  count: number,
  random: () => number = Math.random,
): Generator<Point, void, undefined> {
  for (let i = 0; i < count && features.length > 0; i++) {
    yield features[Math.floor(random() * features.length)].location!;
  }
}

/**
 * Runs the tutorial's four sections against `client`, passing each output
 * line to `print`. A method the server does not implement (UNIMPLEMENTED)
 * is named in one line under its section and the demo goes on; any other
 * failure is thrown.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient } from "../../mod.ts";
 * import { runDemo } from "./demo.ts";
 * await runDemo(new RouteGuideClient("localhost:50051"), console.log);
 * ```
 */
export async function runDemo(
  client: RouteGuideClient,
  print: (line: string) => void,
  options: DemoOptions = {},
): Promise<void> {
  const call = options.call ?? {};
  // Runs one section; UNIMPLEMENTED (codelab servers lack GetFeature)
  // becomes a line so that the other methods still run.
  async function section(method: string, body: () => Promise<void>) {
    print(`-------------- ${method} --------------`);
    try {
      await body();
    } catch (error) {
      if (RouteGuideError.from(error).code !== Status.UNIMPLEMENTED) {
        throw error;
      }
      print(`${method} is not implemented by this server`);
    }
  }
  // Listed first: GetFeature asks for a point the server is known to hold.
  let listed: Feature[] = [];
  let listFailure: unknown;
  try {
    listed = await Array.fromAsync(client.listFeatures(DEMO_RECTANGLE, call));
  } catch (error) {
    if (RouteGuideError.from(error).code !== Status.UNIMPLEMENTED) throw error;
    listFailure = error;
  }

  await section("GetFeature", async () => {
    // A point the server is known to hold, so that the demo shows a hit
    // against any RouteGuide server's data; then one with nothing.
    const named = listed.find((f) => f.name !== "");
    print(formatFeature(
      await client.getFeature(named?.location ?? CLASSIC_FEATURE_POINT, call),
    ));
    print(formatFeature(
      await client.getFeature({ latitude: 0, longitude: 0 }, call),
    ));
  });

  await section("ListFeatures", () => {
    if (listFailure !== undefined) throw listFailure;
    print("Looking for features between 40, -75 and 42, -73");
    for (const feature of listed) print(formatListedFeature(feature));
    return Promise.resolve();
  });

  await section("RecordRoute", async () => {
    const route = [
      ...randomRoute(listed, options.routePoints ?? 10, options.random),
    ];
    for (const point of route) print(formatVisiting(point));
    const summary = await client.recordRoute(route, call);
    for (const line of formatSummary(summary)) print(line);
  });

  await section("RouteChat", async () => {
    const pause = options.notePauseMs ?? 100;
    async function* notes(): AsyncGenerator<RouteNote> {
      for (const [i, note] of DEMO_NOTES.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, pause));
        print(formatSentNote(note));
        yield note;
      }
    }
    for await (const note of client.routeChat(notes(), call)) {
      print(formatReceivedNote(note));
    }
  });
}
