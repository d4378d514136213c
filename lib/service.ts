/**
 * The RouteGuide service itself, as plain handlers: a unary method returns
 * a value, a stream is an (async) iterable. No transport here; see
 * `grpc_adapter.ts` for how these meet grpc-js.
 *
 * @module
 */
import { RouteGuideError, Status } from "./errors.ts";
import type { FeatureDatabase } from "./features.ts";
import { distance, normalizeRectangle } from "./geo.ts";
import type { NoteBoard } from "./notes.ts";
import type {
  Feature,
  Point,
  Rectangle,
  RouteNote,
  RouteSummary,
} from "./types.ts";
import { checkNote, checkPoint, checkRectangle } from "./validate.ts";

/** What a handler knows about its call. */
export interface CallContext {
  /** Aborted when the client cancels, the deadline passes or the server stops. */
  signal: AbortSignal;
}

/**
 * The four RouteGuide methods as plain functions over values and iterables.
 *
 * @example
 * ```ts
 * import type { RouteGuideHandlers } from "./service.ts";
 * const stub: Pick<RouteGuideHandlers, "getFeature"> = {
 *   getFeature: (point) => ({ name: "", location: point }),
 * };
 * ```
 */
export interface RouteGuideHandlers {
  /** The feature at a point, or an unnamed feature there. */
  getFeature(point: Point, context: CallContext): Feature | Promise<Feature>;
  /** Every feature inside a rectangle, in database order. */
  listFeatures(
    rectangle: Rectangle,
    context: CallContext,
  ): Iterable<Feature> | AsyncIterable<Feature>;
  /** Counts, features passed, distance and time of a route. */
  recordRoute(
    points: AsyncIterable<Point>,
    context: CallContext,
  ): Promise<RouteSummary>;
  /** For each note, the earlier notes at its location. */
  routeChat(
    notes: AsyncIterable<RouteNote>,
    context: CallContext,
  ): AsyncIterable<RouteNote>;
}

/** Default number of notes one RouteChat call may send. */
export const DEFAULT_MAX_NOTES_PER_CALL = 10_000;

/** What the RouteGuide service answers from. */
export interface RouteGuideOptions {
  /** The feature database. */
  features: FeatureDatabase;
  /** Where RouteChat notes are shared. */
  notes: NoteBoard;
  /**
   * Notes one RouteChat call may send; the next one ends the call with
   * RESOURCE_EXHAUSTED (default 10,000).
   */
  maxNotesPerCall?: number;
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Builds the RouteGuide handlers over a feature database and a note board.
 *
 * @example
 * ```ts
 * import { createRouteGuide } from "./service.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./notes.ts";
 * const guide = createRouteGuide({
 *   features: new FeatureDatabase([{ name: "Here", location: { latitude: 1, longitude: 2 } }]),
 *   notes: new MemoryNoteBoard(),
 * });
 * const feature = await guide.getFeature({ latitude: 1, longitude: 2 }, {
 *   signal: new AbortController().signal,
 * });
 * // feature.name === "Here"
 * ```
 */
export function createRouteGuide(
  options: RouteGuideOptions,
): RouteGuideHandlers {
  const { features, notes } = options;
  const maxNotesPerCall = options.maxNotesPerCall ?? DEFAULT_MAX_NOTES_PER_CALL;

  return {
    getFeature(point) {
      checkPoint(point, "point");
      return features.at(point) ?? { name: "", location: point };
    },

    listFeatures(rectangle) {
      const { lo, hi } = checkRectangle(rectangle);
      return features.within(normalizeRectangle(lo, hi));
    },

    async recordRoute(points) {
      const start = performance.now();
      let pointCount = 0;
      let featureCount = 0;
      let metres = 0;
      let previous: Point | undefined;
      for await (const point of points) {
        checkPoint(point, `point[${pointCount}]`);
        pointCount++;
        if (features.at(point)) featureCount++;
        if (previous) metres += distance(previous, point);
        previous = point;
      }
      return {
        pointCount,
        featureCount,
        distance: Math.min(Math.trunc(metres), INT32_MAX),
        elapsedTime: Math.trunc((performance.now() - start) / 1000),
      };
    },

    async *routeChat(incoming) {
      let received = 0;
      for await (const note of incoming) {
        if (++received > maxNotesPerCall) {
          throw new RouteGuideError(
            Status.RESOURCE_EXHAUSTED,
            `RouteChat accepts at most ${maxNotesPerCall} notes per call`,
          );
        }
        yield* await notes.exchange(checkNote(note));
      }
    },
  };
}
