/**
 * The classic RouteGuide tutorial run: GetFeature, ListFeatures,
 * RecordRoute and RouteChat against any RouteGuide server, printed in the
 * tutorial's format.
 *
 * @module
 */
import type { RouteGuideClient } from "./client.ts";
import { formatPoint } from "./geo.ts";
import type { Feature, Point, Rectangle, RouteNote } from "./types.ts";

/** The tutorial's ListFeatures area: latitude 40..42, longitude -75..-73. */
export const DEMO_RECTANGLE: Rectangle = {
  lo: { latitude: 400_000_000, longitude: -750_000_000 },
  hi: { latitude: 420_000_000, longitude: -730_000_000 },
};

/** The classic demo's point with a feature, used when the area is empty. */
const CLASSIC_FEATURE_POINT: Point = {
  latitude: 409_146_138,
  longitude: -746_188_906,
};

/** The tutorial's five RouteChat notes, at E7 points (1, 1) and (2, 2). */
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

/** How the demo paces and sizes itself. */
export interface DemoOptions {
  /** Points visited by RecordRoute (default 10). */
  routePoints?: number;
  /** Pause between RouteChat notes, in ms (default 100). */
  notePauseMs?: number;
  /** Random source in [0, 1) for picking route points (default Math.random). */
  random?: () => number;
}

function printFeature(print: (line: string) => void, feature: Feature): void {
  if (feature.name) {
    print(
      `Feature called '${feature.name}' at ${formatPoint(feature.location!)}`,
    );
  } else {
    print(`Found no feature at ${formatPoint(feature.location!)}`);
  }
}

/**
 * Runs the tutorial's four sections against `client`, passing each output
 * line to `print`.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient, runDemo } from "../mod.ts";
 * await runDemo(new RouteGuideClient("localhost:50051"), console.log);
 * ```
 */
export async function runDemo(
  client: RouteGuideClient,
  print: (line: string) => void,
  options: DemoOptions = {},
): Promise<void> {
  const random = options.random ?? Math.random;
  const listed: Feature[] = [];
  for await (const feature of client.listFeatures(DEMO_RECTANGLE)) {
    listed.push(feature);
  }

  print("-------------- GetFeature --------------");
  // A point the server is known to hold, so that the demo shows a hit
  // against any RouteGuide server's data; then one with nothing.
  const named = listed.find((f) => f.name !== "");
  printFeature(
    print,
    await client.getFeature(named?.location ?? CLASSIC_FEATURE_POINT),
  );
  printFeature(print, await client.getFeature({ latitude: 0, longitude: 0 }));

  print("-------------- ListFeatures --------------");
  print("Looking for features between 40, -75 and 42, -73");
  for (const feature of listed) printFeature(print, feature);

  print("-------------- RecordRoute --------------");
  const route: Point[] = [];
  for (let i = 0; i < (options.routePoints ?? 10) && listed.length > 0; i++) {
    const point = listed[Math.floor(random() * listed.length)].location!;
    print(`Visiting point ${formatPoint(point)}`);
    route.push(point);
  }
  const summary = await client.recordRoute(route);
  print(`Finished trip with ${summary.pointCount} points`);
  print(`Passed ${summary.featureCount} features`);
  print(`Traveled ${summary.distance} meters`);
  print(`It took ${summary.elapsedTime} seconds`);

  print("-------------- RouteChat --------------");
  const pause = options.notePauseMs ?? 100;
  async function* notes(): AsyncGenerator<RouteNote> {
    for (const [i, note] of DEMO_NOTES.entries()) {
      if (i > 0) await new Promise((r) => setTimeout(r, pause));
      print(
        `Sending RouteNote for ${formatPoint(note.location!)}: ${note.message}`,
      );
      yield note;
    }
  }
  for await (const note of client.routeChat(notes())) {
    print(
      `< Found previous note at ${
        formatPoint(note.location!)
      }: ${note.message}`,
    );
  }
}
