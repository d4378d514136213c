/**
 * Meets grpc-js's event-emitter calls with plain handlers: requests become
 * async iterables, returned values and iterables become responses, and a
 * thrown RouteGuideError becomes the call's status.
 *
 * The hot paths cost no promise or closure per message: messages are
 * encoded and decoded by `wire.ts` (stored features once, then their bytes
 * are reused), and when a streaming handler carries its
 * optional fast path (`RecordRouteFastPath`, `RouteChatFastPath`), streamed
 * requests are handled straight from grpc-js's `data` events instead of
 * through async iteration.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import type { Buffer } from "node:buffer";
import { type EventEmitter, once } from "node:events";
import { setImmediate } from "node:timers";
import { RouteGuideError, Status } from "../domain/errors.ts";
import { routeGuideServiceDefinition } from "./proto.ts";
import type {
  CallContext,
  RecordRouteFastPath,
  RouteChatFastPath,
  RouteGuideHandlers,
} from "../domain/service.ts";
import type {
  Feature,
  Point,
  Rectangle,
  RouteNote,
  RouteSummary,
} from "../domain/types.ts";
import {
  decodePoint,
  decodeRectangle,
  decodeRouteNote,
  encodeFeature,
  encodeRouteNote,
  encodeRouteSummary,
} from "./wire.ts";

/** Reports errors that are not a RouteGuideError (bugs), once per call. */
export type InternalErrorReporter = (method: string, error: unknown) => void;

/**
 * Wraps an encoder so that a frozen message (the feature database's
 * features) is encoded once and its bytes reused:
 * a frozen object cannot change, so its bytes cannot go stale.
 *
 * @example
 * ```ts
 * import { cachedEncoder } from "./grpc_adapter.ts";
 * import { encodeFeature } from "./wire.ts";
 * const encode = cachedEncoder(encodeFeature);
 * const paris = Object.freeze({ name: "Paris", location: Object.freeze({ latitude: 1, longitude: 2 }) });
 * encode(paris) === encode(paris); // true: the same bytes
 * ```
 */
export function cachedEncoder<T extends object>(
  encode: (message: T) => Buffer,
): (message: T) => Buffer {
  const cache = new WeakMap<T, Buffer>();
  return (message) => {
    let bytes = cache.get(message);
    if (bytes === undefined) {
      bytes = encode(message);
      if (Object.isFrozen(message)) cache.set(message, bytes);
    }
    return bytes;
  };
}

// One cache for both methods: a stored feature is encoded once whether
// GetFeature or ListFeatures sends it.
const encodeStoredFeature = cachedEncoder(encodeFeature);

const serializers: Record<
  string,
  Pick<
    grpc.MethodDefinition<unknown, unknown>,
    "requestDeserialize" | "responseSerialize"
  >
> = {
  GetFeature: {
    requestDeserialize: decodePoint,
    responseSerialize: encodeStoredFeature,
  },
  ListFeatures: {
    requestDeserialize: decodeRectangle,
    responseSerialize: encodeStoredFeature,
  },
  RecordRoute: {
    requestDeserialize: decodePoint,
    responseSerialize: encodeRouteSummary,
  },
  RouteChat: {
    requestDeserialize: decodeRouteNote,
    // Not cached: a stored note is usually sent once or twice, and a
    // WeakMap entry per note cost more (time and memory) than it saved.
    responseSerialize: encodeRouteNote,
  },
} as never;

/**
 * The service definition a RouteGuide server registers: proto.ts's
 * `routeGuideServiceDefinition` with the hand-written codec of `wire.ts`
 * (same bytes on the wire, a fraction of the cost, and stored features
 * encoded once).
 *
 * @example
 * ```ts ignore
 * server.addService(routeGuideServerDefinition, toGrpcImplementation(handlers));
 * ```
 */
export const routeGuideServerDefinition: grpc.ServiceDefinition = Object
  .fromEntries(
    Object.entries(routeGuideServiceDefinition).map(([name, method]) => [
      name,
      { ...method, ...serializers[name] },
    ]),
  );

/** A grpc-js server call: an emitter with grpc-js's `cancelled` flag. */
type ServerCall = EventEmitter & { cancelled: boolean };

/**
 * A call's context, with the AbortSignal made on first use: most handlers
 * never look at it, and a controller and listener per call add up.
 */
class LazyContext implements CallContext {
  readonly #call: ServerCall;
  #signal: AbortSignal | undefined;

  constructor(call: ServerCall) {
    this.#call = call;
  }

  get signal(): AbortSignal {
    if (this.#signal === undefined) {
      const controller = new AbortController();
      if (this.#call.cancelled) controller.abort();
      else this.#call.once("cancelled", () => controller.abort());
      this.#signal = controller.signal;
    }
    return this.#signal;
  }
}

function toStatus(
  method: string,
  error: unknown,
  report: InternalErrorReporter,
): Partial<grpc.StatusObject> {
  if (error instanceof RouteGuideError) {
    return { code: error.code, details: error.message };
  }
  // Anything else is our bug: say so without leaking internals.
  report(method, error);
  return { code: Status.INTERNAL, details: "internal error" };
}

function cancelledError(): RouteGuideError {
  return new RouteGuideError(Status.CANCELLED, "the call was cancelled");
}

/** A server call that we write responses to. */
type ResponseStream<T> =
  | grpc.ServerWritableStream<unknown, T>
  | grpc.ServerDuplexStream<unknown, T>;

/** Waits for `drain`; false when the call was cancelled meanwhile. */
async function drained(
  call: ResponseStream<unknown>,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    await once(call, "drain", { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes every item to a server stream, waiting for `drain` when the
 * stream's buffer is full, and stopping as soon as the call is cancelled.
 * A synchronous iterable (the usual case: an array of features) is written
 * without an async step per item.
 */
async function writeAll<T>(
  call: ResponseStream<T>,
  items: Iterable<T> | AsyncIterable<T>,
  context: CallContext,
): Promise<void> {
  if (Symbol.iterator in items) {
    for (const item of items) {
      if (call.cancelled) return;
      if (!call.write(item) && !await drained(call, context.signal)) return;
    }
  } else {
    for await (const item of items) {
      if (call.cancelled) return;
      if (!call.write(item) && !await drained(call, context.signal)) return;
    }
  }
}

/** A server call that we read requests from. */
type RequestStream<T> =
  | grpc.ServerReadableStream<T, unknown>
  | grpc.ServerDuplexStream<T, unknown>;

/**
 * The call's requests as an async iterable. A plain `for await` over a
 * grpc-js call destroys it when the loop ends (Node's Readable iterator
 * does), and a destroyed call sends neither responses nor a status: RouteChat
 * then never ends. Iterating with `destroyOnReturn: false` leaves the call
 * open for the responses and status still to come. Requests that stop
 * because the client cancelled (or the deadline passed) end in CANCELLED,
 * never in an internal error or a normal end.
 */
async function* requestsOf<T>(
  call: RequestStream<T>,
): AsyncGenerator<T, void, undefined> {
  try {
    for await (const request of call.iterator({ destroyOnReturn: false })) {
      yield request as T;
    }
  } catch (error) {
    throw call.cancelled ? cancelledError() : error;
  }
  // A cancelled call's requests can end without an error; it is still no
  // half-close, so the handler must not answer as if the client were done.
  if (call.cancelled) throw cancelledError();
}

/**
 * Turns RouteGuide handlers into a grpc-js service implementation for
 * `server.addService(routeGuideServerDefinition, ...)` (or proto.ts's
 * `routeGuideServiceDefinition`: both carry the same messages).
 *
 * @example
 * ```ts ignore
 * server.addService(routeGuideServerDefinition, toGrpcImplementation(handlers));
 * ```
 */
export function toGrpcImplementation(
  handlers: RouteGuideHandlers,
  report: InternalErrorReporter = (method, error) =>
    console.error(`${method}: internal error:`, error),
): grpc.UntypedServiceImplementation {
  return {
    GetFeature(
      call: grpc.ServerUnaryCall<Point, Feature>,
      callback: grpc.sendUnaryData<Feature>,
    ) {
      try {
        const result = handlers.getFeature(
          call.request,
          new LazyContext(call as never),
        );
        if (result instanceof Promise) {
          result.then(
            (feature) => callback(null, feature),
            (error) => callback(toStatus("GetFeature", error, report)),
          );
        } else {
          callback(null, result);
        }
      } catch (error) {
        callback(toStatus("GetFeature", error, report));
      }
    },

    async ListFeatures(call: grpc.ServerWritableStream<Rectangle, Feature>) {
      const context = new LazyContext(call);
      try {
        const features = handlers.listFeatures(call.request, context);
        await writeAll(call, features, context);
        if (!call.cancelled) call.end();
      } catch (error) {
        call.emit("error", toStatus("ListFeatures", error, report));
      }
    },

    RecordRoute(
      call: grpc.ServerReadableStream<Point, RouteSummary>,
      callback: grpc.sendUnaryData<RouteSummary>,
    ) {
      const context = new LazyContext(call);
      const fail = (error: unknown) =>
        callback(toStatus("RecordRoute", error, report));
      const { startRoute } = handlers
        .recordRoute as Partial<RecordRouteFastPath>;
      if (!startRoute) {
        handlers.recordRoute(requestsOf(call), context).then(
          (summary) => callback(null, summary),
          fail,
        );
        return;
      }
      // The fast path: one synchronous step per point, from `data` events.
      let recorder;
      try {
        recorder = startRoute(context);
      } catch (error) {
        return fail(error);
      }
      let failed = false;
      const onPoint = (point: Point) => {
        try {
          recorder.add(point);
        } catch (error) {
          failed = true;
          call.off("data", onPoint);
          fail(error);
        }
      };
      call.on("data", onPoint);
      // A client's cancel can show up as `end` just before `cancelled`:
      // decide on the next turn of the event loop, once both are in.
      call.once("end", () =>
        setImmediate(() => {
          if (failed) return;
          if (call.cancelled) return fail(cancelledError());
          try {
            callback(null, recorder.finish());
          } catch (error) {
            fail(error);
          }
        }));
    },

    async RouteChat(call: grpc.ServerDuplexStream<RouteNote, RouteNote>) {
      const context = new LazyContext(call);
      const fail = (error: unknown) =>
        call.emit("error", toStatus("RouteChat", error, report));
      const { startChat } = handlers.routeChat as Partial<RouteChatFastPath>;
      if (!startChat) {
        try {
          const notes = handlers.routeChat(requestsOf(call), context);
          await writeAll(call, notes, context);
          if (!call.cancelled) call.end();
        } catch (error) {
          fail(error);
        }
        return;
      }
      // The fast path: each note answered from its `data` event; reading
      // pauses while an asynchronous board answers (to keep notes in
      // order) and while the client does not take what we write.
      let chat;
      try {
        chat = startChat(context);
      } catch (error) {
        return fail(error);
      }
      let failed = false;
      let ended = false;
      let closed = false;
      let waiting = 0; // answers or drains we are waiting for
      const close = () => {
        if (closed) return;
        closed = true;
        chat.end?.();
      };
      call.once("cancelled", close);
      const finish = () => {
        if (!failed && !call.cancelled) call.end();
        close();
      };
      const resume = () => {
        if (--waiting > 0 || failed) return;
        if (ended) finish();
        else call.resume();
      };
      const write = (answers: readonly RouteNote[]) => {
        if (failed || call.cancelled) return;
        let full = false;
        for (let i = 0; i < answers.length; i++) {
          if (!call.write(answers[i])) full = true;
        }
        if (full) {
          waiting++;
          call.pause();
          call.once("drain", resume);
        }
      };
      const stop = (error: unknown) => {
        if (failed) return;
        failed = true;
        call.off("data", onNote);
        fail(error);
        close();
      };
      const onNote = (note: RouteNote) => {
        let answers;
        try {
          answers = chat.note(note);
        } catch (error) {
          return stop(error);
        }
        if (answers instanceof Promise) {
          waiting++;
          call.pause();
          answers.then((notes) => {
            write(notes);
            resume();
          }, stop);
        } else {
          write(answers);
        }
      };
      call.on("data", onNote);
      // As in RecordRoute: `end` can precede `cancelled` by a moment.
      call.once("end", () =>
        setImmediate(() => {
          ended = true;
          if (waiting === 0) finish();
        }));
    },
  };
}
