/**
 * RecordRoute and RouteChat for browsers, which cannot stream a request
 * body over fetch: a WebSocket at the method's path, subprotocol
 * `routeguide.v1` (and `bearer.<base64url(token)>`: browsers cannot set
 * headers on a WebSocket). A binary message is one protobuf request or
 * response; the text message `end` ends the browser's input; RouteChat
 * sends each note's answers between `answers` and `answered`. A call
 * closes with 1000, or 4000 + its gRPC status and the message as reason.
 *
 * @module
 */
import type { DescMethod } from "@bufbuild/protobuf";
import {
  NOT_READING,
  RouteGuideError,
  SHUT_DOWN,
  Status,
} from "../domain/errors.ts";
import type {
  ChatSession,
  RouteGuideHandlers,
  RouteRecorder,
} from "../domain/handlers.ts";
import { UNREAD_LIVE_NOTE_BYTES } from "../domain/note_watchers.ts";
import type * as rg from "../domain/types.ts";
import type { ServerLimits } from "../grpc/limits.ts";
import type { OutboundBudget } from "../grpc/outbound.ts";
import { overCalls } from "../grpc/outbound_call.ts";
import { decodePoint, decodeRouteNote } from "../grpc/wire_decode.ts";
import { encodeRouteNote, encodeRouteSummary } from "../grpc/wire_encode.ts";
import type { InternalErrorReporter, WebCall } from "./connect_service.ts";
import { closeReason } from "./responses.ts";

/** The subprotocol every RouteGuide WebSocket speaks. */
export const WEB_SOCKET_PROTOCOL = "routeguide.v1";

/** The text messages RouteChat sends around the answer to each note. */
const ANSWERS = "answers", ANSWERED = "answered";
/** Request bytes a call may have waiting while the handler works on one. */
const MAX_WAITING_BYTES = 1 << 20;
/** How long a browser may leave a window of answers unread. */
const STALL_MS = 2_000;

function notReading(): RouteGuideError {
  return new RouteGuideError(Status.RESOURCE_EXHAUSTED, NOT_READING);
}

/** What `server.ts` gives every WebSocket call. */
export interface WebSocketOptions {
  handlers: RouteGuideHandlers;
  authorized?: (authorization: string | null) => boolean;
  limits: ServerLimits;
  /** The calls and unsent answers of both ports. */
  budget: OutboundBudget;
  report: InternalErrorReporter;
  log: (call: WebCall) => void;
  /**
   * Calls in flight; each ends itself when called (server shutdown), and
   * resolves once its socket has closed.
   */
  open: Set<() => Promise<void>>;
}

/**
 * Whether `request` asks for a WebSocket.
 *
 * @example
 * ```ts
 * import { isWebSocketCall } from "./websocket.ts";
 * isWebSocketCall(new Request("http://localhost/", { headers: { upgrade: "websocket" } })); // true
 * ```
 */
export function isWebSocketCall(request: Request): boolean {
  return request.headers.get("upgrade")?.toLowerCase() === "websocket";
}

/** The token a `bearer.<base64url>` subprotocol carries, as a header value. */
function bearer(protocols: string[]): string | null {
  const entry = protocols.find((p) => p.startsWith("bearer."));
  if (entry === undefined) return null;
  try {
    const base64 = entry.slice(7).replaceAll("-", "+").replaceAll("_", "/");
    return `Bearer ${atob(base64)}`;
  } catch {
    return null;
  }
}

/** How a call takes the browser's messages. */
interface Feeder {
  /** Decodes and takes a request; a promise holds the next one back. */
  take(bytes: Uint8Array): void | Promise<void>;
  /** After `end`: the last answer, if any. */
  finish(): void | Promise<void>;
}

/**
 * Answers a WebSocket upgrade at RecordRoute's or RouteChat's path (400
 * for other methods or without the subprotocol) and runs the call.
 */
export function serveWebSocketCall(
  request: Request,
  method: DescMethod,
  call: WebCall,
  options: WebSocketOptions,
): Response {
  const protocols = (request.headers.get("sec-websocket-protocol") ?? "")
    .split(",").map((p) => p.trim());
  if (!protocols.includes(WEB_SOCKET_PROTOCOL)) {
    return new Response(
      `a RouteGuide WebSocket needs the subprotocol ${WEB_SOCKET_PROTOCOL}\n`,
      { status: 400 },
    );
  }
  if (method.name !== "RecordRoute" && method.name !== "RouteChat") {
    return new Response(
      "WebSockets serve RecordRoute and RouteChat; call the others over Connect or gRPC-Web\n",
      { status: 400 },
    );
  }
  const { socket, response } = Deno.upgradeWebSocket(request, {
    protocol: WEB_SOCKET_PROTOCOL,
    // Deno pings an idle socket, closing it if no pong comes in as long.
    idleTimeout: Math.ceil(options.limits.keepaliveTimeoutMs / 1000),
  });
  socket.binaryType = "arraybuffer";
  const abort = new AbortController();
  const budget = options.budget;
  const admitted = budget.admit();
  let ended = false;
  let session: RouteRecorder | ChatSession | undefined;
  // What Deno holds unsent counts in the budget shared with the gRPC
  // port; the socket holding most when it runs out ends 4008.
  const release = budget.hold({
    held: () => socket.bufferedAmount,
    reset: () => fail(notReading()),
  });

  const end = (code: number, message?: string) => {
    if (ended) return;
    ended = true;
    release();
    if (admitted) budget.ended();
    options.open.delete(shutdown);
    abort.abort();
    session?.end?.();
    call.code = code;
    call.details = message;
    if (socket.readyState === WebSocket.OPEN) {
      if (code === Status.OK) socket.close(1000);
      else socket.close(4000 + code, closeReason(message ?? ""));
    }
    options.log(call);
  };
  const fail = (error: unknown) => {
    if (error instanceof RouteGuideError) return end(error.code, error.message);
    options.report(method.name, error);
    end(Status.INTERNAL, "internal error");
  };
  const closed = new Promise<void>((resolve) =>
    socket.addEventListener("close", () => resolve())
  );
  const shutdown = () => {
    end(Status.UNAVAILABLE, SHUT_DOWN);
    return closed;
  };
  options.open.add(shutdown);

  const send = (message: Uint8Array) => {
    call.sent++;
    socket.send(message);
  };
  // A decoder (the gRPC port's codec) that counts what it decodes.
  function decoded<T>(type: string, decode: (bytes: Uint8Array) => T) {
    return (bytes: Uint8Array): T => {
      try {
        const request = decode(bytes);
        call.received++;
        return request;
      } catch (error) {
        const why = `routeguide.${type}: ${(error as Error).message}`;
        throw new RouteGuideError(
          Status.INVALID_ARGUMENT,
          `message does not decode as ${why}`,
        );
      }
    };
  }
  // A browser that stops reading leaves answers in the socket's buffer.
  // Past one connection's window, the next request waits until the
  // browser has read them; if it has not within STALL_MS, the call ends
  // rather than hold more. So the socket holds at most a window and one
  // request's answers (RouteChat's are bounded by the note board).
  const window = options.limits.connectionWindowBytes;
  let stalled = false;
  const room = (): Promise<void> | undefined => {
    if (socket.bufferedAmount <= window) return undefined;
    stalled = true;
    const since = Date.now();
    return new Promise((resolve, reject) => {
      const look = () => {
        if (ended || socket.bufferedAmount <= window) {
          stalled = false;
          resolve();
        } else if (Date.now() - since >= STALL_MS) reject(notReading());
        else setTimeout(look, 10);
      };
      setTimeout(look, 10);
    });
  };

  const point = decoded("Point", decodePoint);
  const routeNote = decoded("RouteNote", decodeRouteNote);
  let feeder: Feeder;
  const context = { signal: abort.signal };
  const start = () => {
    if (method.name === "RecordRoute") {
      const recorder = options.handlers.recordRoute(context);
      session = recorder;
      feeder = {
        take: (bytes) => recorder.add(point(bytes)),
        async finish() {
          send(encodeRouteSummary(await recorder.finish()));
        },
      };
    } else {
      const chat = options.handlers.routeChat({
        ...context,
        // Live notes; past a window and 64 KiB unread, the browser is not reading.
        send(n) {
          if (ended) return;
          if (socket.bufferedAmount > window + UNREAD_LIVE_NOTE_BYTES) {
            fail(notReading());
          } else send(encodeRouteNote(n));
        },
      });
      session = chat;
      const answer = (notes: readonly rg.RouteNote[]) => {
        if (ended) return;
        socket.send(ANSWERS); // until ANSWERED; live notes from others after
        for (const n of notes) send(encodeRouteNote(n));
        socket.send(ANSWERED);
        chat.answered?.();
      };
      feeder = {
        take(bytes) {
          const note = routeNote(bytes);
          const exchange = () => {
            const answers = chat.note(note);
            return answers instanceof Promise
              ? answers.then(answer)
              : answer(answers);
          };
          return room()?.then(exchange) ?? exchange();
        },
        finish() {},
      };
    }
  };

  /** One message from the browser; a promise while the handler works. */
  const step = (data: string | ArrayBuffer): void | Promise<void> => {
    if (typeof data === "string") {
      if (data !== "end") {
        throw new RouteGuideError(
          Status.INVALID_ARGUMENT,
          `the only text message is 'end', got ${
            JSON.stringify(data.slice(0, 20))
          }`,
        );
      }
      const last = feeder.finish();
      return last instanceof Promise
        ? last.then(() => end(Status.OK))
        : end(Status.OK);
    }
    if (data.byteLength > options.limits.maxReceiveMessageBytes) {
      throw new RouteGuideError(
        Status.RESOURCE_EXHAUSTED,
        `message of ${data.byteLength} bytes is larger than the limit, ${options.limits.maxReceiveMessageBytes}`,
      );
    }
    return feeder.take(new Uint8Array(data));
  };

  // Requests are handled one at a time, in order; those arriving while a
  // handler's promise is pending wait, up to MAX_WAITING_BYTES.
  const waiting: (string | ArrayBuffer)[] = [];
  let waitingBytes = 0;
  const size = (data: string | ArrayBuffer) =>
    typeof data === "string" ? data.length : data.byteLength;
  let busy = false;
  const drain = async () => {
    busy = true;
    try {
      while (waiting.length > 0 && !ended) {
        const next = waiting.shift()!;
        waitingBytes -= size(next);
        const pending = step(next);
        if (pending instanceof Promise) await pending;
      }
    } catch (error) {
      fail(error);
    }
    busy = false;
  };
  socket.onopen = () => {
    if (!admitted) {
      return end(Status.RESOURCE_EXHAUSTED, overCalls(budget.calls));
    }
    if (options.authorized && !options.authorized(bearer(protocols))) {
      return end(
        Status.UNAUTHENTICATED,
        "missing or wrong bearer token in the bearer.<base64url(token)> subprotocol",
      );
    }
    try {
      start();
    } catch (error) {
      fail(error);
    }
  };
  socket.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
    if (ended) return;
    if (!busy) {
      try {
        const pending = step(event.data);
        if (pending instanceof Promise) {
          busy = true;
          pending.then(drain, (error) => {
            busy = false;
            fail(error);
          });
        }
      } catch (error) {
        fail(error);
      }
    } else if ((waitingBytes += size(event.data)) > MAX_WAITING_BYTES) {
      fail(
        stalled ? notReading() : new RouteGuideError(
          Status.RESOURCE_EXHAUSTED,
          `more than ${MAX_WAITING_BYTES} bytes of requests waiting for the server`,
        ),
      );
    } else waiting.push(event.data);
  };
  socket.onclose = socket.onerror = () =>
    end(Status.CANCELLED, "cancelled by the client");
  return response;
}
