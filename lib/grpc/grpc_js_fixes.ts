/**
 * What grpc-js 1.14.3 on Deno 2.9.3 gets wrong about bytes from the network,
 * fixed once for the process when this module loads. Each of these let one
 * request end the process, inflate it, lose what a client sent, or keep a
 * stream open for good; docs/upstream.md has the reports, with
 * reproductions.
 *
 * - A message flagged compressed whose body is not valid gzip or deflate:
 *   grpc-js's decompressor has no error listener, so its error ends the
 *   process. Here that call ends with INTERNAL, and decompression stops at
 *   the receive limit (RESOURCE_EXHAUSTED past it).
 * - grpc-js splits each chunk read from a stream into all the messages it
 *   holds at once, a buffer and a queue entry each (about 300 bytes for a
 *   17-byte note), and drops the chunk's valid messages when one is over
 *   the limit. Here a call's reader keeps the bytes and takes one message
 *   out when the handler asks for one: a call holds at most a message and
 *   a chunk, and messages arrive in order. A bad message (too large, not
 *   decodable) after good ones ends the requests there, as if the client
 *   had half-closed: the handler deals with everything before it, and the
 *   call ends with the bad message's status instead of OK.
 * - `grpc-timeout`: grpc-js takes "-5S" and "1 S", and overflows
 *   "99999999H" into a deadline already passed. Here a value is 1-8 digits
 *   and a unit, as the gRPC spec says, or the call ends with
 *   INVALID_ARGUMENT (grpc-go answers INTERNAL, but the fault is the
 *   client's); a deadline beyond what a timer holds (24 days) is none.
 * - A call that ends DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED (a RouteChat
 *   client that leaves its live notes unread) while the client is not
 *   reading: the trailers wait behind unsent data and the stream stays
 *   open, holding one of the connection's streams. Here the stream is
 *   reset (RST_STREAM CANCEL, as grpc-java does for deadlines) if it has
 *   not closed a second later.
 * - Deno's `http2.constants` lacks `HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE`,
 *   so grpc-js answered a request that is not `application/grpc` with
 *   `:status` 200 and no grpc-status instead of 415.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { Buffer, kMaxLength } from "node:buffer";
import http2 from "node:http2";
import process from "node:process";
import zlib from "node:zlib";
import { BaseServerInterceptingCall } from "@grpc/grpc-js/build/src/server-interceptors.js";
import { Status } from "../domain/errors.ts";

/** A status that ends a call, in grpc-js's shape. */
interface CallStatus {
  code: number;
  details: string;
}

/** What a call's listener is told. */
interface Listener {
  onReceiveMessage(message: unknown): void;
  onReceiveHalfClose(): void;
}

/** The parts of grpc-js's server call these fixes use. */
interface Call {
  stream: http2.ServerHttp2Stream;
  handler: { deserialize(bytes: Buffer): unknown };
  listener: Listener | null;
  callEventTracker: { addMessageReceived(): void } | null;
  isReadPending: boolean;
  receivedHalfClose: boolean;
  incomingEncoding: string;
  maxReceiveMessageSize: number;
  deadline: number;
  deadlineTimer: ReturnType<typeof setTimeout> | null;
  metadataSent: boolean;
  inbound?: Inbound;
  /** Why the requests ended early, to be the call's status. */
  inboundFailure?: CallStatus;
  checkCancelled(): boolean;
  sendStatus(status: CallStatus): void;
  maybePushNextMessage(): void;
  handleDataFrame(data: Buffer): void;
  handleEndEvent(): void;
  handleTimeoutHeader(value: unknown): void;
  startRead(): void;
}

const HEAD = 5;

const call = BaseServerInterceptingCall.prototype as unknown as Call;
for (
  const name of [
    "handleDataFrame",
    "handleEndEvent",
    "maybePushNextMessage",
    "startRead",
    "handleTimeoutHeader",
    "checkCancelled",
    "sendStatus",
  ] as const
) {
  if (typeof call[name] !== "function") {
    throw new Error(`grpc-js has changed: no ${name} to fix`);
  }
}

// deno-lint-ignore no-explicit-any
(http2.constants as any).HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE ??= 415;

/** A call's request bytes not yet taken as messages. */
class Inbound {
  #chunks: Buffer[] = [];
  #length = 0;
  /** Messages taken so far. */
  taken = 0;

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /**
   * The next whole message (flag, length and body), or undefined until its
   * bytes are in; throws RESOURCE_EXHAUSTED for one longer than `max`.
   */
  next(max: number): Buffer | undefined {
    if (this.#length < HEAD) return undefined;
    const size = this.#peek(HEAD).readUInt32BE(1);
    if (max !== -1 && size > max) {
      throw {
        code: Status.RESOURCE_EXHAUSTED,
        details: `Received message larger than max (${size} vs. ${max} bytes)`,
      };
    }
    if (this.#length < HEAD + size) return undefined;
    const message = this.#peek(HEAD + size);
    this.#skip(HEAD + size);
    this.taken++;
    return message;
  }

  /** The first `n` bytes, copied only when they span chunks. */
  #peek(n: number): Buffer {
    const first = this.#chunks[0];
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.#chunks, n);
  }

  #skip(n: number): void {
    this.#length -= n;
    while (n > 0) {
      const first = this.#chunks[0];
      if (first.length > n) {
        this.#chunks[0] = first.subarray(n);
        return;
      }
      n -= first.length;
      this.#chunks.shift();
    }
  }
}

/** Inflates a compressed message, up to `max` bytes. */
function inflate(bytes: Buffer, encoding: string, max: number): Buffer {
  if (encoding !== "gzip" && encoding !== "deflate") {
    throw {
      code: encoding === "identity" ? Status.INTERNAL : Status.UNIMPLEMENTED,
      details: encoding === "identity"
        ? "Received a compressed message with grpc-encoding identity"
        : `Received message compressed with unsupported encoding "${encoding}"`,
    };
  }
  const options = { maxOutputLength: max === -1 ? kMaxLength : max };
  try {
    return encoding === "gzip"
      ? zlib.gunzipSync(bytes, options)
      : zlib.inflateSync(bytes, options);
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") {
      throw {
        code: Status.RESOURCE_EXHAUSTED,
        details: `Received message that decompresses to more than ${max} bytes`,
      };
    }
    throw {
      code: Status.INTERNAL,
      details: `Received message that is not valid ${encoding}: ${
        (error as Error).message
      }`,
    };
  }
}

/** Decompresses and decodes one framed message. */
function decode(call: Call, framed: Buffer): unknown {
  let body = framed.subarray(HEAD);
  if (framed[0] === 1) {
    body = inflate(body, call.incomingEncoding, call.maxReceiveMessageSize);
  }
  try {
    return call.handler.deserialize(body);
  } catch (error) {
    throw {
      code: Status.INTERNAL,
      details: `Error deserializing request: ${(error as Error).message}`,
    };
  }
}

call.handleDataFrame = function (data) {
  if (this.checkCancelled() || this.inboundFailure) return;
  (this.inbound ??= new Inbound()).push(data);
  // No more bytes until the handler has taken what is here.
  this.stream.pause();
  this.maybePushNextMessage();
};

call.handleEndEvent = function () {
  this.receivedHalfClose = true;
  this.maybePushNextMessage();
};

call.startRead = function () {
  if (this.checkCancelled()) return;
  this.isReadPending = true;
  this.maybePushNextMessage();
};

/** Gives the handler, if it asked, the next message or the half-close. */
call.maybePushNextMessage = function () {
  const listener = this.listener;
  if (listener === null || !this.isReadPending) return;
  let message: unknown;
  try {
    const framed = this.inbound?.next(this.maxReceiveMessageSize);
    if (framed === undefined) {
      if (this.receivedHalfClose) {
        this.isReadPending = false;
        listener.onReceiveHalfClose();
      } else {
        this.stream.resume();
      }
      return;
    }
    message = decode(this, framed);
  } catch (status) {
    if (this.inbound!.taken <= 1) {
      this.sendStatus(status as CallStatus);
      return;
    }
    // Messages came before it: end the requests here (what follows is
    // read and dropped) and let the handler finish with those.
    this.inboundFailure = status as CallStatus;
    this.inbound = undefined;
    this.stream.resume();
    this.receivedHalfClose = true;
    this.isReadPending = false;
    listener.onReceiveHalfClose();
    return;
  }
  this.isReadPending = false;
  this.callEventTracker?.addMessageReceived();
  listener.onReceiveMessage(message);
};

const STUCK = new Set<number>([
  Status.DEADLINE_EXCEEDED,
  Status.RESOURCE_EXHAUSTED,
]);
const sendStatus = call.sendStatus;
call.sendStatus = function (status) {
  const failure = this.inboundFailure;
  const sent = failure && status.code === Status.OK
    ? { ...status, ...failure }
    : status;
  sendStatus.call(this, sent);
  // Only where answers may be queued, and for the statuses that end a call
  // whose client may have stopped reading: another failure leaves a slow
  // reader its answers and its status.
  if (!STUCK.has(sent.code) || !this.metadataSent) return;
  const stream = this.stream;
  if (stream.closed) return;
  const reset = setTimeout(
    () => stream.close(http2.constants.NGHTTP2_CANCEL),
    1_000,
  );
  stream.once("close", () => clearTimeout(reset));
};

/**
 * Ends `call` with `status` now, dropping the answers it still queues: a
 * client that does not read them would hold the status back behind them.
 */
export function endNow(
  call:
    | grpc.ServerWritableStream<unknown, unknown>
    | grpc.ServerDuplexStream<unknown, unknown>,
  status: CallStatus,
): void {
  // The call's interceptor chain: the access log sees the status.
  (call as unknown as { call: { sendStatus(status: CallStatus): void } }).call
    .sendStatus(status);
  call.destroy();
}

const TIMEOUT = /^(\d{1,8})([HMSmun])$/;
const UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};
// setTimeout holds at most 2^31 - 1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

call.handleTimeoutHeader = function (value) {
  const match = TIMEOUT.exec(String(value));
  if (match === null) {
    // The call is still being constructed: end it once it is.
    process.nextTick(() =>
      this.sendStatus({
        code: Status.INVALID_ARGUMENT,
        details: `Invalid grpc-timeout "${value}": want 1 to 8 digits ` +
          "and a unit (H, M, S, m, u or n)",
      })
    );
    return;
  }
  const ms = Math.ceil(Number(match[1]) * UNIT_MS[match[2]]);
  if (ms > MAX_TIMER_MS) return;
  this.deadline = Date.now() + ms;
  this.deadlineTimer = setTimeout(() => {
    this.sendStatus({
      code: Status.DEADLINE_EXCEEDED,
      details: "Deadline exceeded",
    });
  }, ms);
};
