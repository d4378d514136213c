/**
 * Meets grpc-js's event-emitter calls with plain handlers: requests become
 * async iterables, returned values and iterables become responses, and a
 * thrown RouteGuideError becomes the call's status.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { type EventEmitter, once } from "node:events";
import type { Readable } from "node:stream";
import { RouteGuideError, Status } from "./errors.ts";
import type { CallContext, RouteGuideHandlers } from "./service.ts";
import type {
  Feature,
  Point,
  Rectangle,
  RouteNote,
  RouteSummary,
} from "./types.ts";

/** Reports errors that are not a RouteGuideError (bugs), once per call. */
export type InternalErrorReporter = (method: string, error: unknown) => void;

function contextOf(call: EventEmitter): CallContext {
  const controller = new AbortController();
  call.once("cancelled", () => controller.abort());
  return { signal: controller.signal };
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
  signal: AbortSignal,
): Promise<void> {
  if (Symbol.iterator in items) {
    for (const item of items) {
      if (signal.aborted) return;
      if (!call.write(item) && !await drained(call, signal)) return;
    }
  } else {
    for await (const item of items) {
      if (signal.aborted) return;
      if (!call.write(item) && !await drained(call, signal)) return;
    }
  }
}

/**
 * The call's requests as an async iterable. A plain `for await` over a
 * grpc-js call destroys the call when the loop ends, before its status can
 * be sent; this iterator leaves the call to us.
 */
function requestsOf<T>(call: Readable): AsyncIterable<T> {
  return call.iterator({ destroyOnReturn: false });
}

/**
 * Turns RouteGuide handlers into a grpc-js service implementation for
 * `server.addService(routeGuideServiceDefinition, ...)`.
 *
 * @example
 * ```ts ignore
 * server.addService(routeGuideServiceDefinition, toGrpcImplementation(handlers));
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
        const result = handlers.getFeature(call.request, contextOf(call));
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
      const context = contextOf(call);
      try {
        const features = handlers.listFeatures(call.request, context);
        await writeAll(call, features, context.signal);
        if (!context.signal.aborted) call.end();
      } catch (error) {
        call.emit("error", toStatus("ListFeatures", error, report));
      }
    },

    RecordRoute(
      call: grpc.ServerReadableStream<Point, RouteSummary>,
      callback: grpc.sendUnaryData<RouteSummary>,
    ) {
      handlers.recordRoute(requestsOf(call), contextOf(call)).then(
        (summary) => callback(null, summary),
        (error) => callback(toStatus("RecordRoute", error, report)),
      );
    },

    async RouteChat(call: grpc.ServerDuplexStream<RouteNote, RouteNote>) {
      const context = contextOf(call);
      try {
        const notes = handlers.routeChat(requestsOf(call), context);
        await writeAll(call, notes, context.signal);
        if (!context.signal.aborted) call.end();
      } catch (error) {
        call.emit("error", toStatus("RouteChat", error, report));
      }
    },
  };
}
