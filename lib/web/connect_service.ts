/**
 * Meets connect-es with the service's handlers (`RouteGuideHandlers`): the
 * RouteGuide implementation that the web port's ConnectRouter serves over
 * Connect and gRPC-Web. Requests arrive as protobuf-es messages and are
 * handed to the handlers as the domain's plain objects; a thrown
 * RouteGuideError becomes a ConnectError with the same code (connect-es's
 * codes are gRPC's numbers). Each call counts its messages on its
 * {@link WebCall}, for the access log.
 *
 * @module
 */
import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { RouteGuideError } from "../domain/errors.ts";
import type { RouteGuideHandlers } from "../domain/service.ts";
import type * as rg from "../domain/types.ts";
import type { CallRecord } from "../grpc/access_log.ts";
import type * as es from "../gen/es/route_guide_pb.ts";
import type { RouteGuide } from "../gen/es/route_guide_pb.ts";

/** One call on the web port, as the access log will tell it. */
export interface WebCall extends CallRecord {
  /** connect-es's context, once the call got that far. */
  context?: HandlerContext;
  /** Why the call is refused before it starts (the server is full). */
  refused?: string;
}

/** Where a call's {@link WebCall} travels in connect-es's context values. */
export const WEB_CALL = createContextKey<WebCall | undefined>(undefined);

/** Reports errors that are not a RouteGuideError (bugs). */
export type InternalErrorReporter = (method: string, error: unknown) => void;

/**
 * The ConnectError for anything a handler threw: a RouteGuideError keeps
 * its code and message, connect-es's own errors (a body that does not
 * parse, a message too large) pass as they are, anything else is our bug
 * and says no more than "internal error".
 */
export function toConnectError(
  method: string,
  error: unknown,
  report: InternalErrorReporter,
): ConnectError {
  if (error instanceof RouteGuideError) {
    return new ConnectError(error.message, error.code as number as Code);
  }
  if (error instanceof ConnectError) return error;
  report(method, error);
  return new ConnectError("internal error", Code.Internal);
}

/** `requests`, each counted on `call` as received. */
async function* counted<T>(
  requests: AsyncIterable<T>,
  call: WebCall | undefined,
): AsyncIterable<T> {
  for await (const request of requests) {
    if (call) call.received++;
    yield request;
  }
}

// protobuf-es leaves an absent message field undefined; the domain says null.
const point = (p: es.Point | undefined): rg.Point | null =>
  p === undefined ? null : { latitude: p.latitude, longitude: p.longitude };
/** A protobuf-es RouteNote as the domain's. */
export const note = (n: es.RouteNote): rg.RouteNote => ({
  location: point(n.location),
  message: n.message,
});
// The domain's features may hold a null location; protobuf-es wants none.
const feature = (f: rg.Feature) => ({
  name: f.name,
  location: f.location ?? undefined,
});
/** The domain's RouteNote as protobuf-es takes it. */
export const routeNote = (n: rg.RouteNote) => ({
  location: n.location ?? undefined,
  message: n.message,
});

/**
 * The connect-es implementation of RouteGuide over `handlers`.
 *
 * @example
 * ```ts ignore
 * import { createConnectRouter } from "@connectrpc/connect";
 * import { RouteGuide } from "../gen/es/route_guide_pb.ts";
 * const router = createConnectRouter().service(RouteGuide, toConnectImplementation(handlers, report));
 * ```
 */
export function toConnectImplementation(
  handlers: RouteGuideHandlers,
  report: InternalErrorReporter,
): ServiceImpl<typeof RouteGuide> {
  const fail = (method: string, error: unknown): never => {
    throw toConnectError(method, error, report);
  };
  return {
    async getFeature(request, context) {
      const call = context.values.get(WEB_CALL);
      if (call) call.received++;
      try {
        const answer = feature(
          await handlers.getFeature(point(request)!, context),
        );
        if (call) call.sent++;
        return answer;
      } catch (error) {
        return fail("GetFeature", error);
      }
    },

    async *listFeatures(request, context) {
      const call = context.values.get(WEB_CALL);
      if (call) call.received++;
      try {
        const features = handlers.listFeatures(
          { lo: point(request.lo), hi: point(request.hi) },
          context,
        );
        for await (const each of features) {
          if (call) call.sent++;
          yield feature(each);
        }
      } catch (error) {
        fail("ListFeatures", error);
      }
    },

    async recordRoute(requests, context) {
      const call = context.values.get(WEB_CALL);
      let recorder;
      try {
        recorder = handlers.recordRoute(context);
        for await (const request of counted(requests, call)) {
          await recorder.add(point(request)!);
        }
        const summary = await recorder.finish();
        if (call) call.sent++;
        return summary;
      } catch (error) {
        return fail("RecordRoute", error);
      } finally {
        recorder?.end?.();
      }
    },

    async *routeChat(requests, context) {
      const call = context.values.get(WEB_CALL);
      let session;
      try {
        session = handlers.routeChat(context);
        for await (const request of counted(requests, call)) {
          for (const answer of await session.note(note(request))) {
            if (call) call.sent++;
            yield routeNote(answer);
          }
        }
      } catch (error) {
        fail("RouteChat", error);
      } finally {
        session?.end?.();
      }
    },
  };
}
