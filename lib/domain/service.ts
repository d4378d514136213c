/**
 * The RouteGuide service itself, as plain handlers: a unary method returns
 * a value, a stream is an (async) iterable. No transport here; see
 * `grpc_adapter.ts` for how these meet grpc-js.
 *
 * @module
 */
import { RouteGuideError, Status } from "./errors.ts";
import type { FeatureDatabase } from "./features.ts";
import { distanceE7, isValidPoint, normalizeRectangle } from "./geo.ts";
import type { NoteBoard } from "./notes.ts";
import type {
  Feature,
  Point,
  Rectangle,
  RouteNote,
  RouteSummary,
} from "./types.ts";
import { checkNote, checkPoint, checkRectangle } from "./validate.ts";

/**
 * What a handler knows about its call.
 *
 * @example
 * ```ts
 * import type { CallContext } from "./service.ts";
 * const context: CallContext = { signal: new AbortController().signal };
 * ```
 */
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
  /**
   * For each note, the earlier notes at its location. The note board may
   * keep the note objects given: do not change them afterwards (the server
   * passes each note as decoded, once).
   */
  routeChat(
    notes: AsyncIterable<RouteNote>,
    context: CallContext,
  ): AsyncIterable<RouteNote>;
}

/**
 * Optional fast path of a `recordRoute` handler, as a property of the
 * handler function itself: the same work one point at a time,
 * synchronously, so that a transport can feed it from message events
 * without a promise per point. It lives on the function so that a handler
 * that replaces `recordRoute` (a wrapper, a spy) never keeps a stale fast
 * path: the transport then uses the replacement as it is.
 *
 * @example
 * ```ts
 * import { createRouteGuide, type RecordRouteFastPath } from "./service.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./notes.ts";
 * const guide = createRouteGuide({ features: new FeatureDatabase([]), notes: new MemoryNoteBoard() });
 * const fast = guide.recordRoute as Partial<RecordRouteFastPath>;
 * const route = fast.startRoute!({ signal: new AbortController().signal });
 * route.add({ latitude: 0, longitude: 0 });
 * route.finish().pointCount; // 1
 * ```
 */
export interface RecordRouteFastPath {
  /** Starts one RecordRoute call. */
  startRoute(context: CallContext): RouteRecorder;
}

/**
 * Optional fast path of a `routeChat` handler, as a property of the
 * handler function itself (see {@link RecordRouteFastPath}): the same work
 * one note at a time.
 *
 * @example
 * ```ts
 * import { createRouteGuide, type RouteChatFastPath } from "./service.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./notes.ts";
 * const guide = createRouteGuide({ features: new FeatureDatabase([]), notes: new MemoryNoteBoard() });
 * const fast = guide.routeChat as Partial<RouteChatFastPath>;
 * const chat = fast.startChat!({ signal: new AbortController().signal });
 * await chat.note({ location: { latitude: 1, longitude: 1 }, message: "hi" }); // []
 * ```
 */
export interface RouteChatFastPath {
  /** Starts one RouteChat call. */
  startChat(context: CallContext): ChatSession;
}

/**
 * One RecordRoute call, fed point by point.
 *
 * @example
 * ```ts
 * import { createRouteGuide, type RecordRouteFastPath, type RouteRecorder } from "./service.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./notes.ts";
 * const guide = createRouteGuide({ features: new FeatureDatabase([]), notes: new MemoryNoteBoard() });
 * const { startRoute } = guide.recordRoute as Partial<RecordRouteFastPath>;
 * const route: RouteRecorder = startRoute!({ signal: new AbortController().signal });
 * route.add({ latitude: 0, longitude: 0 });
 * ```
 */
export interface RouteRecorder {
  /** Takes the next point; throws INVALID_ARGUMENT for a bad one. */
  add(point: Point): void;
  /** The summary once the client has half-closed. */
  finish(): RouteSummary;
}

/**
 * One RouteChat call, fed note by note.
 *
 * @example
 * ```ts
 * import { type ChatSession, createRouteGuide, type RouteChatFastPath } from "./service.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./notes.ts";
 * const guide = createRouteGuide({ features: new FeatureDatabase([]), notes: new MemoryNoteBoard() });
 * const { startChat } = guide.routeChat as Partial<RouteChatFastPath>;
 * const chat: ChatSession = startChat!({ signal: new AbortController().signal });
 * ```
 */
export interface ChatSession {
  /**
   * The earlier notes at the note's location, oldest first, then stores
   * it (the note board may keep the object itself: do not change it
   * afterwards); synchronous when the note board is. Throws
   * INVALID_ARGUMENT for a bad note and RESOURCE_EXHAUSTED past the
   * per-call limit.
   */
  note(note: RouteNote): readonly RouteNote[] | Promise<readonly RouteNote[]>;
  /**
   * Optional: called once when the call ends, however it ends (finished,
   * failed, cancelled), for wrappers that hold a resource per call.
   */
  end?(): void;
}

/**
 * Default number of notes one RouteChat call may send.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_NOTES_PER_CALL } from "./service.ts";
 * DEFAULT_MAX_NOTES_PER_CALL; // 10000
 * ```
 */
export const DEFAULT_MAX_NOTES_PER_CALL = 10_000;

/**
 * What the RouteGuide service answers from.
 *
 * @example
 * ```ts
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./notes.ts";
 * import type { RouteGuideOptions } from "./service.ts";
 * const options: RouteGuideOptions = {
 *   features: new FeatureDatabase([]),
 *   notes: new MemoryNoteBoard(),
 *   maxNotesPerCall: 100,
 * };
 * ```
 */
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

  function startRoute(_context: CallContext): RouteRecorder {
    const start = performance.now();
    let pointCount = 0;
    let featureCount = 0;
    let metres = 0;
    let latitude = 0;
    let longitude = 0;
    return {
      add(point) {
        // The field name is built only for the error message.
        if (point === null || !isValidPoint(point)) {
          checkPoint(point, `point[${pointCount}]`);
        }
        if (pointCount++ > 0) {
          metres += distanceE7(
            latitude,
            longitude,
            point.latitude,
            point.longitude,
          );
        }
        latitude = point.latitude;
        longitude = point.longitude;
        if (features.indexOf(latitude, longitude) >= 0) featureCount++;
      },
      finish() {
        return {
          pointCount,
          featureCount,
          distance: Math.min(Math.trunc(metres), INT32_MAX),
          elapsedTime: Math.trunc((performance.now() - start) / 1000),
        };
      },
    };
  }

  function startChat(_context: CallContext): ChatSession {
    let received = 0;
    return {
      note(note) {
        if (++received > maxNotesPerCall) {
          throw new RouteGuideError(
            Status.RESOURCE_EXHAUSTED,
            `RouteChat accepts at most ${maxNotesPerCall} notes per call`,
          );
        }
        checkNote(note);
        return notes.exchangeSync
          ? notes.exchangeSync(note)
          : notes.exchange(note);
      },
    };
  }

  return {
    getFeature(point) {
      checkPoint(point, "point");
      return features.at(point) ?? { name: "", location: point };
    },

    listFeatures(rectangle) {
      const { lo, hi } = checkRectangle(rectangle);
      return features.within(normalizeRectangle(lo, hi));
    },

    recordRoute: Object.assign(
      async function recordRoute(
        points: AsyncIterable<Point>,
        context: CallContext,
      ): Promise<RouteSummary> {
        const route = startRoute(context);
        for await (const point of points) route.add(point);
        return route.finish();
      },
      { startRoute } satisfies RecordRouteFastPath,
    ),

    routeChat: Object.assign(
      async function* routeChat(
        incoming: AsyncIterable<RouteNote>,
        context: CallContext,
      ): AsyncIterable<RouteNote> {
        const chat = startChat(context);
        for await (const note of incoming) yield* await chat.note(note);
      },
      { startChat } satisfies RouteChatFastPath,
    ),
  };
}
