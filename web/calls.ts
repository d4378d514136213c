/// <reference lib="dom" />
/**
 * The page's calls to the server it came from. GetFeature and ListFeatures
 * go over the Connect protocol (connect-web, binary). Browsers cannot stream
 * a request body over fetch, so RecordRoute and RouteChat go over a
 * WebSocket at the method's path: each binary message is one protobuf
 * request or response, the text message `end` half-closes, and the server
 * closes with 1000 when done or 4000 + the gRPC status with the message as
 * the reason.
 *
 * @module
 */
import {
  type Client,
  ConnectError,
  createClient,
  type Interceptor,
} from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { RouteGuide } from "../lib/gen/es/route_guide_pb.ts";
import { Status, statusName } from "../lib/domain/errors.ts";

/** The WebSocket subprotocol of the RecordRoute and RouteChat streams. */
export const STREAM_PROTOCOL = "routeguide.v1";

/** A failed call: the gRPC status and the server's one-line message. */
export class CallError extends Error {
  readonly code: number;

  constructor(code: number, message: string) {
    super(`${statusName(code)}: ${message}`);
    this.code = code;
  }

  /** The error as a CallError, whatever threw it. */
  static from(error: unknown): CallError {
    if (error instanceof CallError) return error;
    const connect = ConnectError.from(error);
    // fetch rejects with a TypeError when no answer came at all.
    if (connect.cause instanceof TypeError) {
      return new CallError(
        Status.UNAVAILABLE,
        `cannot reach the server (${connect.cause.message})`,
      );
    }
    return new CallError(connect.code, connect.rawMessage);
  }
}

/** The Connect client; `token()` is read at each call (empty: none). */
export function connectClient(
  token: () => string,
): Client<typeof RouteGuide> {
  const bearer: Interceptor = (next) => (request) => {
    const value = token();
    if (value) request.header.set("Authorization", `Bearer ${value}`);
    return next(request);
  };
  return createClient(
    RouteGuide,
    createConnectTransport({
      baseUrl: location.origin,
      useBinaryFormat: true,
      interceptors: [bearer],
    }),
  );
}

/** One RecordRoute or RouteChat call over a WebSocket. */
export interface StreamCall<I extends DescMessage> {
  /** Sends one request (queued until the socket is open). */
  send(request: MessageInitShape<I>): void;
  /** Half-closes: the server answers what is left, then closes. */
  end(): void;
  /** Resolves when the server closes with 1000, rejects with a CallError. */
  readonly done: Promise<void>;
}

/**
 * Opens a client-streaming or bidirectional call: `onResponse` gets each
 * response as it arrives, `onText` each text message (RouteChat's
 * `answers` and `answered` around the answer to each note).
 */
export function openStream<I extends DescMessage, O extends DescMessage>(
  method: "RecordRoute" | "RouteChat",
  schemas: { request: I; response: O },
  token: string,
  onResponse: (response: MessageShape<O>) => void,
  onText?: (text: string) => void,
): StreamCall<I> {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  // Browsers cannot set headers on a WebSocket: the token rides in a
  // second subprotocol.
  const protocols = token
    ? [STREAM_PROTOCOL, `bearer.${base64url(token)}`]
    : [STREAM_PROTOCOL];
  const socket = new WebSocket(
    `${scheme}//${location.host}/routeguide.RouteGuide/${method}`,
    protocols,
  );
  socket.binaryType = "arraybuffer";
  const queue: (Uint8Array | string)[] = [];
  const write = (data: Uint8Array | string) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(data);
    else if (socket.readyState === WebSocket.CONNECTING) queue.push(data);
  };
  socket.onopen = () => {
    for (const data of queue.splice(0)) socket.send(data);
  };
  const done = new Promise<void>((resolve, reject) => {
    socket.onmessage = (event) => {
      if (!(event.data instanceof ArrayBuffer)) {
        onText?.(event.data);
        return;
      }
      try {
        onResponse(fromBinary(schemas.response, new Uint8Array(event.data)));
      } catch (error) {
        socket.close(4000 + Status.INTERNAL, "bad response");
        reject(new CallError(Status.INTERNAL, `bad response: ${error}`));
      }
    };
    socket.onclose = (event) => {
      if (event.code === 1000) resolve();
      else if (event.code >= 4000 && event.code < 4100) {
        reject(new CallError(event.code - 4000, event.reason));
      } else {
        reject(
          new CallError(
            Status.UNAVAILABLE,
            `connection to the server lost (WebSocket ${event.code})`,
          ),
        );
      }
    };
  });
  return {
    send: (request) =>
      write(toBinary(schemas.request, create(schemas.request, request))),
    end: () => write("end"),
    done,
  };
}

function base64url(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}
