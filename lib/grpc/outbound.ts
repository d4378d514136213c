/**
 * What the server holds for its clients on the way out: responses handed to
 * the runtime and not yet on the wire, bounded per connection and in total.
 *
 * Deno 2.9.3's `node:http2` takes every write at once and keeps what HTTP/2
 * flow control does not let it send (docs/upstream.md): a client that stops
 * reading makes the server hold everything it answers. So the server counts
 * what it hands each connection and reads what the connection's socket has
 * written; the difference is what the runtime holds. A connection with more
 * than its window unsent makes its calls wait, as real flow control would;
 * when all connections together hold more than the budget, the one holding
 * most has its calls reset with RESOURCE_EXHAUSTED.
 *
 * The same call object also writes ahead (a call may hand the transport a
 * few messages before the earlier ones are written, so that they go out in
 * one write and large DATA frames: measured on ListFeatures, 10.5 -> 1.3 us
 * of server CPU per feature) and lets go of its listener when the call ends
 * (see `ListeningCall`).
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { BaseServerInterceptingCall } from "@grpc/grpc-js/build/src/server-interceptors.js";
import type { Buffer } from "node:buffer";
import http2 from "node:http2";
import { Status } from "../domain/errors.ts";
import {
  asInterceptedCall,
  ForwardingCall,
  ListeningCall,
  type ServerCall,
} from "./forwarding_call.ts";
import type { ServerLimits } from "./limits.ts";

/** The limits on response bytes handed to the runtime and not yet sent. */
export type OutboundLimits = Pick<
  ServerLimits,
  "connectionWindowBytes" | "maxQueuedBytes" | "maxConcurrentCalls"
>;

/**
 * Response messages one call may have handed to the transport and not yet
 * written. Our messages are at most about 1 KiB.
 *
 * @example
 * ```ts
 * import { DEFAULT_WRITE_AHEAD } from "./outbound.ts";
 * DEFAULT_WRITE_AHEAD; // 128
 * ```
 */
export const DEFAULT_WRITE_AHEAD = 128;

// Only messages are counted, not what HTTP/2 adds (frame headers, a
// call's headers and trailers): an estimate above what the socket writes
// could never come back to zero, and one below it is corrected each time
// the socket catches up.
// A connection's socket is read (about 70 ns) once this much more has been
// handed to it, not on every message.
const CHECK_BYTES = 4 << 10;
// Connections with unsent bytes are looked at again at once while their
// sockets make progress, then less and less often, up to every 20 ms: a
// client that reads gets its answers at the pace it reads, and one that
// stopped costs almost nothing.
const MAX_POLL_MS = 20;
// Calls hand their connections answers for at most this long in one turn
// of the event loop; then every connection waits for the next look, so
// that a burst of calls (hundreds of streams opened at once) leaves room
// for other connections' calls in between.
const SLICE_MS = 5;

type Session = http2.Http2Session;
type Stream = http2.Http2Stream;

/** What a stream was handed since its connection last had nothing unsent. */
interface Handed {
  bytes: number;
  epoch: number;
}

/** One client connection as the budget sees it. */
class Connection {
  readonly session: Session;
  readonly budget: OutboundBudget;
  /** Its open streams. */
  readonly streams = new Map<Stream, Handed>();
  /** Bytes handed to the runtime, counted as the wire will carry them. */
  handed: number;
  /** `handed` when the socket was last read. */
  checked: number;
  /** What the socket had written when last read. */
  written: number;
  /** Counts the times everything handed was seen written. */
  epoch = 0;
  /** Over its window: calls wait until half of it is free again. */
  full = false;
  /** Calls waiting for room. */
  readonly waiting = new Set<OutboundCall>();

  constructor(session: Session, budget: OutboundBudget) {
    this.session = session;
    this.budget = budget;
    this.handed = this.checked = this.written = this.#socketWritten();
  }

  #socketWritten(): number {
    return this.session.socket?.bytesWritten ?? this.handed;
  }

  /** Counts `bytes` handed to the runtime for `stream`. */
  hand(stream: Stream, bytes: number): void {
    this.handed += bytes;
    const handed = this.streams.get(stream);
    if (handed === undefined) return;
    if (handed.epoch !== this.epoch) {
      handed.epoch = this.epoch;
      handed.bytes = 0;
    }
    handed.bytes += bytes;
  }

  /** Bytes handed and not yet written to the socket. */
  unsent(): number {
    if (this.session.destroyed) return 0;
    const written = this.written = this.#socketWritten();
    this.checked = this.handed;
    // Frames we do not count (pings, settings) can put the socket ahead.
    if (this.handed <= written) {
      this.handed = written;
      this.epoch++;
    }
    return this.handed - written;
  }

  /**
   * A stream has closed. Bytes it was handed and the runtime had not sent
   * are gone if it was reset: take off what surely was its (what is unsent
   * beyond what the other streams were handed), never more, so that no
   * client can make the count fall short of what the runtime holds.
   */
  closed(stream: Stream): void {
    const handed = this.streams.get(stream)!;
    this.streams.delete(stream);
    if (this.streams.size === 0) {
      // Nothing open, nothing held.
      this.handed = this.#socketWritten();
    } else if (stream.rstCode && handed.epoch === this.epoch) {
      let others = 0;
      for (const other of this.streams.values()) {
        if (other.epoch === this.epoch) others += other.bytes;
      }
      const gone = Math.min(handed.bytes, this.unsent() - others);
      if (gone > 0) this.handed -= gone;
    }
    if (this.full) this.budget.watch(this);
  }

  /** Whether calls may hand this connection more. */
  hasRoom(): boolean {
    if (this.full) return false;
    if (this.handed - this.checked < CHECK_BYTES) return true;
    const unsent = this.unsent();
    this.full = unsent > this.budget.limits.connectionWindowBytes ||
      this.budget.sliceOver();
    if (unsent > 0 || this.full) this.budget.watch(this);
    return !this.full;
  }

  /**
   * After a look at the socket: lets waiting calls go on once there is
   * room. True if some were left waiting although there was room.
   */
  update(unsent: number): boolean {
    if (unsent > this.budget.limits.connectionWindowBytes / 2) return false;
    this.full = false;
    // One at a time, while there is room: calls woken together would do
    // all their work in one turn of the event loop, ahead of every other
    // connection. Every call with answers to write goes on, but only one
    // of those waiting to be read (most of them not yet started) per look,
    // so that a client that stopped reading with a hundred calls open
    // starts only a few of them, and one that reads still gets every call
    // going.
    let reads = 0;
    for (const call of this.waiting) {
      if (this.full) return false;
      if (call.reading && reads++ > 0) continue;
      this.waiting.delete(call);
      call.wake();
    }
    return this.waiting.size > 0;
  }

  /** Resets its streams: the client sees RESOURCE_EXHAUSTED. */
  reset(): void {
    for (const stream of this.streams.keys()) {
      stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    }
  }
}

const connections = new WeakMap<Session, Connection>();

// Every response grpc-js writes is serialized here first: count its bytes
// as handed to its connection.
const grpcCall = BaseServerInterceptingCall.prototype as unknown as {
  serializeMessage(this: { stream: Stream }, value: unknown): Buffer;
};
const serialize = grpcCall.serializeMessage;
if (typeof serialize !== "function") {
  throw new Error("grpc-js has changed: no serializeMessage to count");
}
grpcCall.serializeMessage = function (value) {
  const bytes = serialize.call(this, value);
  const stream = this.stream;
  const session = stream.session;
  const connection = session && connections.get(session);
  connection?.hand(stream, bytes.length);
  return bytes;
};

/**
 * The server's budget for unsent response bytes: one per server, shared by
 * all its connections.
 *
 * @example
 * ```ts ignore
 * const budget = new OutboundBudget(DEFAULT_LIMITS);
 * const server = new grpc.Server({ interceptors: [budget.interceptor()] });
 * ```
 */
export class OutboundBudget {
  /** The limits it enforces. */
  readonly limits: Readonly<OutboundLimits>;
  /** Messages a call may have handed over and not yet written. */
  readonly writeAhead: number;
  // Connections with a stream open, for closeAll.
  readonly #open = new Set<Connection>();
  // Connections with bytes unsent at the last look.
  readonly #busy = new Set<Connection>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #scheduled = false;
  #soon = false;
  #pollMs = 0;
  // When calls began handing answers in this turn, or -1.
  #sliceStart = -1;
  #queued = 0;
  #calls = 0;

  /** A budget enforcing `limits`. */
  constructor(
    limits: Readonly<OutboundLimits>,
    writeAhead: number = DEFAULT_WRITE_AHEAD,
  ) {
    this.limits = limits;
    this.writeAhead = writeAhead;
  }

  /** Unsent bytes across all connections, as of the last look. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /** The interceptor that enforces this budget; put it first, next to the transport. */
  interceptor(): grpc.ServerInterceptor {
    return (_method, call) => {
      // Each call a client keeps open costs memory (its stream, buffers and
      // handler state), whatever the number of connections.
      if (this.#calls >= this.limits.maxConcurrentCalls) {
        return asInterceptedCall(new RefusedCall(call, this.#calls));
      }
      this.#calls++;
      // The first interceptor wraps grpc-js's own call, which has the stream.
      const stream = (call as unknown as { stream: Stream }).stream;
      const session = stream.session!;
      let connection = connections.get(session);
      if (connection === undefined) {
        connection = new Connection(session, this);
        connections.set(session, connection);
      }
      const open = connection;
      open.streams.set(stream, { bytes: 0, epoch: open.epoch });
      this.#open.add(open);
      stream.once("close", () => {
        open.closed(stream);
        if (open.streams.size === 0) this.#open.delete(open);
      });
      return asInterceptedCall(new OutboundCall(call, open, stream));
    };
  }

  /** Closes every connection with a stream still open (at shutdown, once the grace period is over). */
  closeAll(): void {
    for (const connection of this.#open) connection.session.destroy();
    this.#open.clear();
  }

  /** A call has ended. */
  ended(): void {
    this.#calls--;
  }

  /** Stops looking at connections (the server has closed). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#busy.clear();
  }

  /** Looks at `connection` until it has written what it was handed. */
  watch(connection: Connection): void {
    this.#busy.add(connection);
    if (!this.#scheduled) this.#schedule(this.#pollMs = 0);
  }

  /** Whether this turn's time for handing answers is used up. */
  sliceOver(): boolean {
    const now = performance.now();
    if (this.#sliceStart < 0) {
      this.#sliceStart = now;
      // A look ends the turn's slice, busy connections or not.
      if (!this.#scheduled) this.#schedule(this.#pollMs = 0);
      return false;
    }
    if (now - this.#sliceStart < SLICE_MS) return false;
    // The next look must come at once, not at a slow poll's pace.
    if (!this.#soon) {
      clearTimeout(this.#timer);
      this.#schedule(this.#pollMs = 0);
    }
    return true;
  }

  readonly #poll = (): void => {
    this.#scheduled = this.#soon = false;
    this.#sliceStart = -1;
    let queued = 0;
    let largest: Connection | undefined;
    let most = 0;
    let moving = false;
    for (const connection of this.#busy) {
      const before = connection.written;
      const unsent = connection.unsent();
      if (connection.written > before) moving = true;
      queued += unsent;
      if (unsent > most) [largest, most] = [connection, unsent];
      // Calls left waiting with room to go on are looked at again at once.
      if (connection.update(unsent)) moving = true;
      if (unsent === 0 && !connection.full && connection.waiting.size === 0) {
        this.#busy.delete(connection);
      }
    }
    this.#pollMs = moving ? 0 : Math.min(MAX_POLL_MS, this.#pollMs * 2 || 1);
    if (queued > this.limits.maxQueuedBytes && largest !== undefined) {
      // Resetting its streams drops what the runtime holds for them.
      largest.reset();
      queued -= most;
    }
    this.#queued = queued;
    if (this.#busy.size > 0) this.#schedule(this.#pollMs);
  };

  // A timer, even at zero: Deno runs immediates queued by immediates in
  // the same turn, before any socket is read (measured: 40 chained 5 ms
  // immediates held a read back 200 ms; chained timers let it in at once).
  #schedule(ms: number): void {
    this.#scheduled = true;
    this.#soon = ms === 0;
    this.#timer = setTimeout(this.#poll, ms);
  }
}

/**
 * A call next to the transport: writes ahead, waits while its connection
 * holds too much, and lets go of its listener when it ends.
 *
 * A call that arrives on a full connection does not start either: what the
 * client sends waits here until there is room. Its answers could not go out
 * anyway, and a burst of calls on a connection that stopped reading (300
 * ListFeatures at once) would otherwise each run their handler's first step
 * in one turn of the event loop, making everyone else's calls wait (a
 * GetFeature on another connection: 270-480 ms).
 */
class OutboundCall extends ListeningCall {
  readonly #connection: Connection;
  readonly #stream: Stream;
  #writing = 0;
  #held: (() => void) | undefined;
  // What the client sent while the connection was full: one message at
  // most (requests are read one at a time) and the half-close.
  #inbound: { message?: unknown; halfClose: boolean } | undefined;
  // One callback for every message of the call, not a closure per message.
  readonly #written = (): void => {
    this.#writing--;
    this.resume();
  };

  constructor(
    next: grpc.ServerInterceptingCallInterface,
    connection: Connection,
    stream: Stream,
  ) {
    super(next);
    this.#connection = connection;
    this.#stream = stream;
  }

  override sendMessage(message: unknown, callback: () => void): void {
    this.#writing++;
    this.next.sendMessage(message, this.#written);
    // grpc-js sends the next message only after this callback, so at most
    // one is ever held here.
    this.#held = callback;
    this.resume();
  }

  override onReceiveMessage(message: unknown): void {
    if (this.#inbound === undefined && !this.#connection.full) {
      super.onReceiveMessage(message);
      return;
    }
    this.#inbound ??= { halfClose: false };
    this.#inbound.message = message;
    this.#wait();
  }

  override onReceiveHalfClose(): void {
    if (this.#inbound === undefined && !this.#connection.full) {
      super.onReceiveHalfClose();
      return;
    }
    this.#inbound ??= { halfClose: false };
    this.#inbound.halfClose = true;
    this.#wait();
  }

  override onCancel(): void {
    // Nothing more will be written: a held message stays unsent. (Letting
    // grpc-js go on would make an error, with its stack, for every message
    // still buffered: 50,000 of them cost a second when 500 chats ended.)
    this.#held = undefined;
    this.#inbound = undefined;
    this.#connection.waiting.delete(this);
    this.#connection.budget.ended();
    super.onCancel();
  }

  /** Whether it holds what the client sent (rather than an answer). */
  get reading(): boolean {
    return this.#inbound !== undefined;
  }

  /** Its connection has room again. */
  wake(): void {
    const inbound = this.#inbound;
    this.#inbound = undefined;
    if (inbound !== undefined) {
      if ("message" in inbound) super.onReceiveMessage(inbound.message);
      if (inbound.halfClose) super.onReceiveHalfClose();
    }
    this.resume();
  }

  #wait(): void {
    if (!this.#stream.closed) this.#connection.waiting.add(this);
  }

  /** Lets the call hand over its next message if there is room. */
  resume(): void {
    const held = this.#held;
    const connection = this.#connection;
    if (held === undefined || this.#writing >= connection.budget.writeAhead) {
      return;
    }
    if (!connection.hasRoom()) {
      this.#wait();
      return;
    }
    this.#held = undefined;
    held();
  }
}

/** A call over the limit: ended before its handler hears of it. */
class RefusedCall extends ForwardingCall {
  readonly #calls: number;

  constructor(next: ServerCall, calls: number) {
    super(next);
    this.#calls = calls;
  }

  override start(): void {
    this.next.sendStatus({
      code: Status.RESOURCE_EXHAUSTED,
      details:
        `the server is already running ${this.#calls} calls; retry later`,
    });
  }
}
