/**
 * The web port's hot path: GetFeature over Connect, binary, unary (`POST`,
 * `content-type: application/proto`, uncompressed) decoded and encoded by
 * the gRPC port's own codec (`wire_decode.ts`, `wire_encode.ts`), without
 * connect-es's router. Measured paired on one core, that router's per-call
 * work (a handler context, a message object, interceptor plumbing, async
 * iterables for a one-message body) left the web port ~1.7x grpc-js per
 * GetFeature; this path is what takes it past the 1.8x. Anything
 * it does not take on (other content types, compression, timeouts, bodies
 * over the limit or that do not decode) goes to connect-es as before,
 * which also stays the oracle: the tests call this path with connect-es's
 * client and compare with the gRPC port.
 *
 * @module
 */
import { ConnectError } from "@connectrpc/connect";
import {
  codeToHttpStatus,
  errorToJsonBytes,
} from "@connectrpc/connect/protocol-connect";
import { Status } from "../domain/errors.ts";
import type { CallContext, RouteGuideHandlers } from "../domain/service.ts";
import { decodePoint } from "../grpc/wire_decode.ts";
import { encodeFeature } from "../grpc/wire_encode.ts";
import {
  type InternalErrorReporter,
  toConnectError,
  type WebCall,
} from "./connect_service.ts";

/** The path this module answers. */
export const GET_FEATURE_PATH = "/routeguide.RouteGuide/GetFeature";

/** What the fast path needs from the server. */
export interface FastUnaryOptions {
  handlers: RouteGuideHandlers;
  authorized?: (authorization: string | null) => boolean;
  maxReceiveMessageBytes: number;
  report: InternalErrorReporter;
}

// A unary call's handler returns before anything could cancel it.
const UNARY_CONTEXT: CallContext = { signal: new AbortController().signal };
const PROTO = { "content-type": "application/proto" };
const JSON_TYPE = { "content-type": "application/json" };

/**
 * Whether `request` is a call this path answers: a plain binary Connect
 * unary call, its body within the limit by its declared length.
 */
function takes(request: Request, maxBytes: number): boolean {
  const headers = request.headers;
  const version = headers.get("connect-protocol-version");
  const length = Number(headers.get("content-length") ?? NaN);
  return request.method === "POST" &&
    headers.get("content-type") === "application/proto" &&
    (version === null || version === "1") &&
    !headers.has("content-encoding") &&
    !headers.has("connect-timeout-ms") &&
    length <= maxBytes;
}

function errorResponse(error: ConnectError): Response {
  // Both codecs write into plain ArrayBuffers.
  const body = errorToJsonBytes(error, undefined) as Uint8Array<ArrayBuffer>;
  return new Response(body, {
    status: codeToHttpStatus(error.code),
    headers: JSON_TYPE,
  });
}

/**
 * Answers a GetFeature call at {@link GET_FEATURE_PATH}, filling in `call`
 * for the access log; undefined when the call is not one this path takes
 * (then `request` is for connect-es, its body unread), or a new Request
 * with the same body when it turns out not to be (a body that does not
 * decode, or longer than declared): connect-es words those errors.
 */
export async function fastGetFeature(
  request: Request,
  call: WebCall,
  options: FastUnaryOptions,
): Promise<Response | Request | undefined> {
  if (!takes(request, options.maxReceiveMessageBytes)) return undefined;
  let error: ConnectError;
  if (
    options.authorized &&
    !options.authorized(request.headers.get("authorization"))
  ) {
    error = new ConnectError(
      "missing or wrong bearer token in the authorization header",
      Status.UNAUTHENTICATED,
    );
  } else {
    const body = new Uint8Array(await request.arrayBuffer());
    let point;
    try {
      if (body.length > options.maxReceiveMessageBytes) throw body.length;
      point = decodePoint(body);
    } catch {
      return new Request(request.url, {
        method: "POST",
        headers: request.headers,
        body,
      });
    }
    call.received = 1;
    try {
      const answer = options.handlers.getFeature(point, UNARY_CONTEXT);
      const feature = answer instanceof Promise ? await answer : answer;
      call.sent = 1;
      const body = encodeFeature(feature) as Uint8Array<ArrayBuffer>;
      return new Response(body, { headers: PROTO });
    } catch (thrown) {
      error = toConnectError("GetFeature", thrown, options.report);
    }
  }
  call.code = error.code;
  call.details = error.rawMessage;
  return errorResponse(error);
}
