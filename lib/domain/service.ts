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
import {
  DEFAULT_MAX_LOCATIONS,
  DEFAULT_MAX_NOTE_BOARD_BYTES,
  DEFAULT_NOTES_PER_LOCATION,
  type NoteBoard,
  type NoteBoardLimits,
} from "./notes.ts";
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
 * @example A handler that stops when its call is cancelled
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CallContext } from "./service.ts";
 * function* countdown(from: number, context: CallContext) {
 *   for (let i = from; i > 0 && !context.signal.aborted; i--) yield i;
 * }
 * const controller = new AbortController();
 * const seen: number[] = [];
 * for (const n of countdown(5, { signal: controller.signal })) {
 *   seen.push(n);
 *   if (n === 4) controller.abort();
 * }
 * assert.deepEqual(seen, [5, 4]);
 * ```
 */
export interface CallContext {
  /** Aborted when the client cancels, the deadline passes or the server stops. */
  signal: AbortSignal;
}

/**
 * The RouteGuide service as plain objects: the one contract between the
 * service and every transport, and what `startServer` serves. A unary
 * method returns a value (or a promise of one); ListFeatures returns an
 * iterable (or async iterable) of features; each client-streaming method
 * starts a per-call object that the transport feeds one request at a
 * time, as the requests arrive (no promise per request unless the handler
 * returns one).
 *
 * @example Serving a handler object of your own
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RouteGuideHandlers } from "./service.ts";
 * const handlers: RouteGuideHandlers = {
 *   getFeature: (point) => ({ name: "Everywhere", location: point }),
 *   listFeatures: () => [],
 *   recordRoute() {
 *     let pointCount = 0;
 *     return {
 *       add() {
 *         pointCount++;
 *       },
 *       finish: () => ({ pointCount, featureCount: 0, distance: 0, elapsedTime: 0 }),
 *     };
 *   },
 *   routeChat: () => ({ note: () => [] }),
 * };
 * const context = { signal: new AbortController().signal };
 * const route = handlers.recordRoute(context);
 * await route.add({ latitude: 1, longitude: 1 });
 * assert.equal((await route.finish()).pointCount, 1);
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
  /** Starts one RecordRoute call. */
  recordRoute(context: CallContext): RouteRecorder;
  /** Starts one RouteChat call. */
  routeChat(context: CallContext): ChatSession;
}

/**
 * One RecordRoute call, fed point by point.
 *
 * @example Recording a route of two points a degree apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRouteGuide } from "./service.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./notes.ts";
 * const guide = createRouteGuide({ features: new FeatureDatabase([]), notes: new MemoryNoteBoard() });
 * const route = guide.recordRoute({ signal: new AbortController().signal });
 * route.add({ latitude: 0, longitude: 0 });
 * route.add({ latitude: 0, longitude: 10_000_000 });
 * const summary = await route.finish();
 * assert.equal(summary.pointCount, 2);
 * assert.equal(summary.distance, 111_194);
 * ```
 */
export interface RouteRecorder {
  /**
   * Takes the next point (INVALID_ARGUMENT for a bad one). A promise makes
   * the transport wait for it before the next point.
   */
  add(point: Point): void | Promise<void>;
  /** The summary once the client has half-closed. */
  finish(): RouteSummary | Promise<RouteSummary>;
  /** Optional: called once when the call ends, however it ends. */
  end?(): void;
}

/**
 * One RouteChat call, fed note by note.
 *
 * @example Two notes at one place: the second gets the first
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRouteGuide } from "./service.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./notes.ts";
 * const guide = createRouteGuide({ features: new FeatureDatabase([]), notes: new MemoryNoteBoard() });
 * const chat = guide.routeChat({ signal: new AbortController().signal });
 * const here = { latitude: 1, longitude: 1 };
 * assert.deepEqual(await chat.note({ location: here, message: "first" }), []);
 * const earlier = await chat.note({ location: here, message: "second" });
 * assert.deepEqual(earlier.map((n) => n.message), ["first"]);
 * chat.end?.();
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
  /** Optional: called once when the call ends, however it ends. */
  end?(): void;
}

/**
 * The bounds on RouteChat in one object: what one call may send, how many
 * calls run at once, and what the in-memory note board keeps.
 *
 * @example Stricter bounds over the defaults
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_ROUTE_CHAT_LIMITS, type RouteChatLimits } from "./service.ts";
 * const strict: RouteChatLimits = { maxNotesPerCall: 100, maxConcurrentChats: 10 };
 * assert.equal(DEFAULT_ROUTE_CHAT_LIMITS.maxNotesPerCall, 10_000);
 * assert.equal({ ...DEFAULT_ROUTE_CHAT_LIMITS, ...strict }.notesPerLocation, 100);
 * ```
 */
export interface RouteChatLimits extends NoteBoardLimits {
  /**
   * Notes one call may send; the next one ends the call with
   * RESOURCE_EXHAUSTED (default 10,000).
   */
  maxNotesPerCall?: number;
  /**
   * Calls at once, across the service; the next one ends with
   * RESOURCE_EXHAUSTED (default 1,000).
   */
  maxConcurrentChats?: number;
}

/** The RouteChat bounds unless told otherwise. */
export const DEFAULT_ROUTE_CHAT_LIMITS: Readonly<Required<RouteChatLimits>> =
  Object.freeze({
    maxNotesPerCall: 10_000,
    maxConcurrentChats: 1_000,
    notesPerLocation: DEFAULT_NOTES_PER_LOCATION,
    maxLocations: DEFAULT_MAX_LOCATIONS,
    maxBytes: DEFAULT_MAX_NOTE_BOARD_BYTES,
  });

/**
 * What the RouteGuide service answers from.
 *
 * @example One note per RouteChat call
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouteGuideError, Status } from "./errors.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./notes.ts";
 * import { createRouteGuide, type RouteGuideOptions } from "./service.ts";
 * const options: RouteGuideOptions = {
 *   features: new FeatureDatabase([]),
 *   notes: new MemoryNoteBoard(),
 *   chat: { maxNotesPerCall: 1 },
 * };
 * const chat = createRouteGuide(options).routeChat({ signal: new AbortController().signal });
 * const note = { location: { latitude: 1, longitude: 1 }, message: "hi" };
 * await chat.note(note);
 * assert.throws(
 *   () => chat.note(note),
 *   (error) => error instanceof RouteGuideError && error.code === Status.RESOURCE_EXHAUSTED,
 * );
 * ```
 */
export interface RouteGuideOptions {
  /** The feature database. */
  features: FeatureDatabase;
  /** Where RouteChat notes are shared. */
  notes: NoteBoard;
  /** RouteChat's per-call and concurrency bounds (the board has its own). */
  chat?: RouteChatLimits;
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Builds the RouteGuide handlers over a feature database and a note board.
 *
 * @example Answering GetFeature without a server
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRouteGuide } from "./service.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./notes.ts";
 * const guide = createRouteGuide({
 *   features: new FeatureDatabase([{ name: "Here", location: { latitude: 1, longitude: 2 } }]),
 *   notes: new MemoryNoteBoard(),
 * });
 * const context = { signal: new AbortController().signal };
 * const feature = await guide.getFeature({ latitude: 1, longitude: 2 }, context);
 * assert.equal(feature.name, "Here");
 * ```
 */
export function createRouteGuide(
  options: RouteGuideOptions,
): RouteGuideHandlers {
  const { features, notes } = options;
  const { maxNotesPerCall, maxConcurrentChats } = {
    ...DEFAULT_ROUTE_CHAT_LIMITS,
    ...options.chat,
  };
  let chats = 0;

  return {
    getFeature(point) {
      checkPoint(point, "point");
      return features.at(point) ?? { name: "", location: point };
    },

    listFeatures(rectangle) {
      const { lo, hi } = checkRectangle(rectangle);
      return features.within(normalizeRectangle(lo, hi));
    },

    recordRoute() {
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
    },

    routeChat() {
      if (chats >= maxConcurrentChats) {
        throw new RouteGuideError(
          Status.RESOURCE_EXHAUSTED,
          `the server is already running ${maxConcurrentChats} RouteChat calls; retry later`,
        );
      }
      chats++;
      let received = 0;
      let open = true;
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
        end() {
          if (open) chats--;
          open = false;
        },
      };
    },
  };
}
