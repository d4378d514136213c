/**
 * The handler contract: the RouteGuide service as plain objects, what every
 * transport (gRPC, Connect, gRPC-Web, WebSocket) serves and what
 * `createRouteGuide` (service.ts) builds. A unary method returns a value, a
 * stream is an (async) iterable, a client stream is an object fed one
 * request at a time.
 *
 * @module
 */
import type {
  Feature,
  Point,
  Rectangle,
  RouteNote,
  RouteSummary,
} from "./types.ts";

/**
 * What a handler knows about its call.
 *
 * @example A handler that stops when its call is cancelled
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CallContext } from "./handlers.ts";
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
 * What a transport gives a RouteChat call: its {@link CallContext} and a
 * way to send the client a note that is not an answer to one of its own.
 *
 * @example Hearing, live, a note another chat leaves where this one wrote
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ChatContext } from "./handlers.ts";
 * import { createRouteGuide } from "./service.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
 * import type { RouteNote } from "./types.ts";
 * const guide = createRouteGuide({ features: new FeatureDatabase([]), notes: new MemoryNoteBoard() });
 * const heard: RouteNote[] = [];
 * const context: ChatContext = { signal: new AbortController().signal, send: (note) => heard.push(note) };
 * const here = { latitude: 1, longitude: 1 };
 * const ann = guide.routeChat(context);
 * await ann.note({ location: here, message: "anyone here?" });
 * const bob = guide.routeChat({ ...context, send: () => {} });
 * await bob.note({ location: here, message: "yes" });
 * assert.deepEqual(heard.map((note) => note.message), ["yes"]);
 * ann.end?.();
 * bob.end?.();
 * ```
 */
export interface ChatContext extends CallContext {
  /**
   * Sends `note` to the client now, or queues it behind the answers
   * already going out; never throws. The service calls it with the notes
   * that other clients leave, while this call is open, at the locations
   * this call has left notes at: live RouteChat, as route_guide.proto
   * describes it ("while receiving other RouteNotes (e.g. from other
   * users)"). Not while the answer to one of the call's notes is being
   * made: live notes wait for {@link ChatSession.answered}, so that they
   * follow the answer, as they were stored after it. A transport ends the
   * call with RESOURCE_EXHAUSTED when its client leaves too many unread.
   */
  send(note: RouteNote): void;
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
 * import type { RouteGuideHandlers } from "./handlers.ts";
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
  routeChat(context: ChatContext): ChatSession;
}

/**
 * One RecordRoute call, fed point by point.
 *
 * @example Recording a route of two points a degree apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRouteGuide } from "./service.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
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
 * One RouteChat call, fed note by note. Besides the answers that
 * {@link ChatSession.note} returns, notes may go to the client at any time
 * through {@link ChatContext.send}, until {@link ChatSession.end}.
 *
 * @example Two notes at one place: the second gets the first
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRouteGuide } from "./service.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
 * const guide = createRouteGuide({ features: new FeatureDatabase([]), notes: new MemoryNoteBoard() });
 * const chat = guide.routeChat({ signal: new AbortController().signal, send() {} });
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
  /**
   * Optional: the transport has sent the answer that {@link note}
   * returned; live notes that came meanwhile go out now, after it.
   */
  answered?(): void;
  /** Optional: called once when the call ends, however it ends. */
  end?(): void;
}
