/**
 * The web port's hot paths: binary Connect GetFeature (unary: `POST`,
 * `content-type: application/proto`) and ListFeatures (server streaming:
 * `application/connect+proto`), uncompressed, decoded and encoded by the
 * gRPC port's own codec (`wire_decode.ts`, `wire_encode.ts`) without
 * connect-es's router. Measured on one pinned core, that router's per-call
 * work (a handler context, message objects, interceptor plumbing, async
 * iterables, a chunk per message) cost 64 us per GetFeature (grpc-js: 104)
 * and 20 us per listed feature (grpc-js: 2.8): short of the issue's 1.8x
 * and of gRPC's features/s. Anything these paths do not take on (other
 * content types, compression, timeouts, bodies over the limit or that do
 * not decode) goes to connect-es as before, which also stays the oracle:
 * the tests compare these paths' bytes with the router's.
 *
 * @module
 */
import { ConnectError } from "@connectrpc/connect";
import { setImmediate } from "node:timers";
import {
  codeToHttpStatus,
  endStreamToJson,
  errorToJsonBytes,
} from "@connectrpc/connect/protocol-connect";
import { NOT_READING, SHUT_DOWN, Status } from "../domain/errors.ts";
import type { CallContext, RouteGuideHandlers } from "../domain/handlers.ts";
import type * as rg from "../domain/types.ts";
import { decodePoint, decodeRectangle } from "../grpc/wire_decode.ts";
import { encodeFeature } from "../grpc/wire_encode.ts";
import {
  type InternalErrorReporter,
  toConnectError,
  type WebCall,
} from "./connect_service.ts";
import type { OutboundBudget } from "../grpc/outbound.ts";
import { AnswerBody, type Ending, type Open } from "./responses.ts";

/** The paths this module answers. */
export const GET_FEATURE_PATH = "/routeguide.RouteGuide/GetFeature";
export const LIST_FEATURES_PATH = "/routeguide.RouteGuide/ListFeatures";

/** What the fast path needs from the server. */
export interface FastPathOptions {
  handlers: RouteGuideHandlers;
  authorized?: (authorization: string | null) => boolean;
  maxReceiveMessageBytes: number;
  report: InternalErrorReporter;
  /** What ListFeatures' answers count in. */
  budget: OutboundBudget;
}

// A unary call's handler returns before anything could cancel it.
const UNARY_CONTEXT: CallContext = { signal: new AbortController().signal };
const PROTO = { "content-type": "application/proto" };
const STREAM = { "content-type": "application/connect+proto" };
/**
 * Features encoded into one chunk of a ListFeatures answer, at most: a
 * small first chunk, so that the first features go out at once, then
 * larger ones, fewer writes.
 */
const FIRST_CHUNK_BYTES = 1 << 10;
const CHUNK_BYTES = 32 << 10;
const JSON_TYPE = { "content-type": "application/json" };

/**
 * Whether `request` is a call this path answers: a plain binary Connect
 * unary call, its body within the limit by its declared length.
 */
function takes(request: Request, type: string, maxBytes: number): boolean {
  const headers = request.headers;
  const version = headers.get("connect-protocol-version");
  // HTTP/2 clients need not declare a length: then readBody bounds it.
  const length = Number(headers.get("content-length") ?? 0);
  return request.method === "POST" &&
    headers.get("content-type") === type &&
    (version === null || version === "1") &&
    !headers.has("content-encoding") &&
    !headers.has("connect-content-encoding") &&
    !headers.has("connect-timeout-ms") &&
    length <= maxBytes;
}

function unauthorized(
  request: Request,
  options: FastPathOptions,
): ConnectError | undefined {
  if (options.authorized?.(request.headers.get("authorization")) === false) {
    return new ConnectError(
      "missing or wrong bearer token in the authorization header",
      Status.UNAUTHENTICATED,
    );
  }
}

/** The same request for connect-es, its body already read (or begun). */
function again(request: Request, body: BodyInit): Request {
  return new Request(request.url, {
    method: "POST",
    headers: request.headers,
    body,
  });
}

/**
 * The body, read up to `max` bytes; past that, a stream of all of it as
 * sent (read so far, then the rest), for connect-es to refuse in its words.
 */
async function readBody(
  request: Request,
  max: number,
): Promise<Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>> {
  if (request.headers.has("content-length") || request.body === null) {
    return new Uint8Array(await request.arrayBuffer());
  }
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    parts.push(r.value);
    size += r.value.length;
    if (size > max) {
      return new ReadableStream({
        start(controller) {
          for (const part of parts) controller.enqueue(part);
        },
        async pull(controller) {
          const next = await reader.read();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        },
        cancel: (reason) => reader.cancel(reason),
      });
    }
  }
  return concat(parts) as Uint8Array<ArrayBuffer>;
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
  options: FastPathOptions,
): Promise<Response | Request | undefined> {
  const max = options.maxReceiveMessageBytes;
  if (!takes(request, "application/proto", max)) return undefined;
  let error = unauthorized(request, options);
  if (error === undefined) {
    const body = await readBody(request, max);
    if (body instanceof ReadableStream) return again(request, body);
    let point;
    try {
      if (body.length > max) throw body.length;
      point = decodePoint(body);
    } catch {
      return again(request, body);
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

/** One Connect stream frame: flags, length, bytes. */
function frame(flags: number, bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(5 + bytes.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, bytes.length);
  out.set(bytes, 5);
  return out;
}

const encoder = new TextEncoder();

/** `parts` as one buffer: one write for a chunk of features. */
function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  size = 0;
  for (const part of parts) {
    out.set(part, size);
    size += part.length;
  }
  return out;
}

/** The end-of-stream frame: `{}`, or the error. */
function endFrame(error?: ConnectError): Uint8Array<ArrayBuffer> {
  const json = endStreamToJson(new Headers(), error, undefined);
  return frame(2, encoder.encode(JSON.stringify(json)));
}

/**
 * Answers a ListFeatures call at {@link LIST_FEATURES_PATH} as
 * {@link fastGetFeature} answers GetFeature. Features go out encoded into
 * chunks of up to CHUNK_BYTES, one pulled each time the client has read
 * the last (a client that stops reading holds the handler, and what Deno
 * holds for it counts in the budget); `done` runs once the answer is over.
 */
export async function fastListFeatures(
  request: Request,
  call: WebCall,
  options: FastPathOptions,
  done: (ending: Ending) => void,
  open: Set<Open>,
): Promise<Response | Request | undefined> {
  const max = options.maxReceiveMessageBytes + 5;
  if (!takes(request, "application/connect+proto", max)) return undefined;
  const end = (error: ConnectError) => {
    call.code = error.code;
    call.details = error.rawMessage;
    done("over");
    return new Response(endFrame(error), { headers: STREAM });
  };
  const refused = unauthorized(request, options);
  if (refused) return end(refused);
  const body = await readBody(request, max);
  if (body instanceof ReadableStream) return again(request, body);
  const view = new DataView(body.buffer);
  let rectangle;
  try {
    if (body.length < 5 || body[0] !== 0) throw body[0];
    if (view.getUint32(1) !== body.length - 5) throw body.length;
    if (body.length > max) throw body.length;
    rectangle = decodeRectangle(body.subarray(5));
  } catch {
    return again(request, body);
  }
  call.received = 1;
  const abort = new AbortController();
  let features;
  try {
    features = options.handlers.listFeatures(rectangle, abort);
  } catch (error) {
    return end(toConnectError("ListFeatures", error, options.report));
  }
  const sync = Symbol.iterator in features
    ? features[Symbol.iterator]()
    : undefined;
  const iterator = sync ?? (features as AsyncIterable<rg.Feature>)[
    Symbol.asyncIterator
  ]();
  const finish = (ending: Ending) => {
    if (!answer.end()) return;
    open.delete(stop);
    if (ending !== "over") abort.abort();
    done(ending);
    iterator.return?.();
  };
  // At the end of the grace period: the stream ends as the gRPC port's.
  const stop = () => {
    const error = new ConnectError(SHUT_DOWN, Status.UNAVAILABLE);
    call.code = error.code;
    call.details = SHUT_DOWN;
    answer.enqueue(endFrame(error));
    answer.close();
    finish("over");
  };
  open.add(stop);
  const answer: AnswerBody = new AnswerBody(
    options.budget,
    async () => {
      // The stream pulls again as soon as Deno takes a chunk: without a
      // turn of the event loop in between, every chunk would be made
      // before the first went out (measured: first feature after the
      // last, 13 ms for 5,000 features, against 1.6 ms).
      if (call.sent > 0) await new Promise((next) => setImmediate(next));
      if (answer.over) return;
      const parts: Uint8Array[] = [];
      const limit = call.sent === 0 ? FIRST_CHUNK_BYTES : CHUNK_BYTES;
      let size = 0; // of the features' frames
      let last: ConnectError | undefined | null = null; // null: not yet
      try {
        // A synchronous list fills a chunk; an async one sends what it has.
        do {
          const next = sync ? sync.next() : await iterator.next();
          if (next.done) {
            last = undefined;
            break;
          }
          const bytes = encodeFeature(next.value);
          parts.push(frame(0, bytes));
          size += 5 + bytes.length;
          call.sent++;
        } while (sync && size < limit);
      } catch (error) {
        last = toConnectError("ListFeatures", error, options.report);
        call.code = last.code;
        call.details = last.rawMessage;
      }
      if (answer.over) return;
      if (last !== null) parts.push(endFrame(last));
      answer.enqueue(concat(parts));
      if (last !== null) {
        answer.close();
        finish("over");
      }
    },
    () => finish("cancelled"),
    () => {
      finish("not reading");
      answer.error(new Error(NOT_READING));
    },
  );
  return new Response(answer.stream, { headers: STREAM });
}
