/**
 * Meets grpc-js's event-emitter calls with the service's handlers
 * (`RouteGuideHandlers`): returned values and iterables become responses,
 * streamed requests are fed to the call's recorder or chat session straight
 * from grpc-js's `data` events, and a thrown RouteGuideError becomes the
 * call's status.
 *
 * The hot paths cost no promise or closure per message (the messages'
 * codec is `service_definition.ts`), and a handler's promise is awaited
 * only when it returns one.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { type EventEmitter, once } from "node:events";
import { setImmediate } from "node:timers";
import { NOT_READING, RouteGuideError, Status } from "../domain/errors.ts";
import { UNREAD_LIVE_NOTE_BYTES } from "../domain/note_watchers.ts";
import { noteBytes } from "../domain/notes.ts";
import type {
  CallContext,
  ChatSession,
  RouteGuideHandlers,
} from "../domain/handlers.ts";
import type * as rg from "../domain/types.ts";
import { endNow } from "./grpc_js_fixes.ts";

/** Reports errors that are not a RouteGuideError (bugs), once per call. */
export type InternalErrorReporter = (method: string, error: unknown) => void;

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

/**
 * Ends `session` once: when the call is cancelled, or when the returned
 * function is first called (the call finished or failed).
 */
function endOnce(call: ServerCall, session: { end?(): void }): () => void {
  let open = true;
  const end = () => {
    if (open) session.end?.();
    open = false;
  };
  call.once("cancelled", end);
  return end;
}

/** A server call that we read requests from. */
type RequestStream<T> =
  | grpc.ServerReadableStream<T, unknown>
  | grpc.ServerDuplexStream<T, unknown>;

/**
 * Feeds a call's requests to `step` as they arrive, one at a time: reading
 * pauses while a step's promise is pending, so requests are handled in
 * order. `done` runs once the client has half-closed and every step has
 * settled; `fail` once, on the first error, and no step runs after it.
 * Returns a function that fails the call from outside the steps.
 */
function feed<T>(
  call: RequestStream<T>,
  step: (request: T) => void | Promise<void>,
  done: () => void,
  fail: (error: unknown) => void,
): (error: unknown) => void {
  let pending = 0;
  let ended = false;
  let failed = false;
  const stop = (error: unknown) => {
    if (failed) return;
    failed = true;
    call.off("data", onRequest);
    fail(error);
  };
  const resume = () => {
    if (--pending > 0 || failed) return;
    if (ended) done();
    else call.resume();
  };
  const onRequest = (request: T) => {
    let result;
    try {
      result = step(request);
    } catch (error) {
      return stop(error);
    }
    if (result instanceof Promise) {
      pending++;
      call.pause();
      result.then(resume, stop);
    }
  };
  call.on("data", onRequest);
  // A client's cancel can show up as `end` just before `cancelled`:
  // decide on the next turn of the event loop, once both are in.
  call.once("end", () =>
    setImmediate(() => {
      ended = true;
      if (!failed && pending === 0) done();
    }));
  return stop;
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
      call: grpc.ServerUnaryCall<rg.Point, rg.Feature>,
      callback: grpc.sendUnaryData<rg.Feature>,
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

    async ListFeatures(
      call: grpc.ServerWritableStream<rg.Rectangle, rg.Feature>,
    ) {
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
      call: grpc.ServerReadableStream<rg.Point, rg.RouteSummary>,
      callback: grpc.sendUnaryData<rg.RouteSummary>,
    ) {
      let route;
      try {
        route = handlers.recordRoute(new LazyContext(call));
      } catch (error) {
        return callback(toStatus("RecordRoute", error, report));
      }
      const recorder = route;
      const end = endOnce(call, recorder);
      const fail = (error: unknown) => {
        callback(toStatus("RecordRoute", error, report));
        end();
      };
      feed(call, (point) => recorder.add(point), () => {
        if (call.cancelled) return fail(cancelledError());
        try {
          const summary = recorder.finish();
          if (summary instanceof Promise) {
            summary.then((s) => {
              callback(null, s);
              end();
            }, fail);
          } else {
            callback(null, summary);
            end();
          }
        } catch (error) {
          fail(error);
        }
      }, fail);
    },

    RouteChat(call: grpc.ServerDuplexStream<rg.RouteNote, rg.RouteNote>) {
      let ended = false;
      // Fails the call from outside its steps, once it is fed.
      let stop = (_error: unknown) => {};
      // Live notes from other clients, queued behind the answers; what
      // waits unsent is bounded (the connection holds the rest).
      let unsent = 0;
      const send = (note: rg.RouteNote) => {
        if (call.cancelled || ended) return;
        const bytes = noteBytes(note);
        if (unsent > 0 && unsent + bytes > UNREAD_LIVE_NOTE_BYTES) {
          endNow(call, {
            code: Status.RESOURCE_EXHAUSTED,
            details: NOT_READING,
          });
          ended = true;
          stop(undefined);
        } else {
          unsent += bytes;
          call.write(note, () => unsent -= bytes);
        }
      };
      let chat: ChatSession;
      try {
        chat = handlers.routeChat(
          Object.assign(new LazyContext(call), { send }),
        );
      } catch (error) {
        return call.emit("error", toStatus("RouteChat", error, report));
      }
      const endSession = endOnce(call, chat);
      const end = () => {
        ended = true;
        endSession();
      };
      // Answers are written at once; a full buffer pauses reading until
      // the client takes them (a promise only then, not per note).
      const write = (
        answers: readonly rg.RouteNote[],
      ): void | Promise<void> => {
        if (call.cancelled || ended) return;
        let full = false;
        for (let i = 0; i < answers.length; i++) {
          if (!call.write(answers[i])) full = true;
        }
        chat.answered?.();
        if (full) return new Promise((resolve) => call.once("drain", resolve));
      };
      stop = feed(call, (note) => {
        const answers = chat.note(note);
        return answers instanceof Promise
          ? answers.then(write)
          : write(answers);
      }, () => {
        if (!call.cancelled) call.end();
        end();
      }, (error) => {
        if (!ended) call.emit("error", toStatus("RouteChat", error, report));
        end();
      });
    },
  };
}
