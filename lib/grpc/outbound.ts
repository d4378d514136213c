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
 * Work comes in slices: past a few ms in one turn of the event loop, calls
 * stop handing answers and sockets stop being read until the next look, so
 * that clients pouring in requests or taking answers cannot keep everyone
 * else's calls waiting.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { BaseServerInterceptingCall } from "@grpc/grpc-js/build/src/server-interceptors.js";
import type { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import { asInterceptedCall } from "./forwarding_call.ts";
import { OutboundCall, RefusedCall } from "./outbound_call.ts";
import {
  Connection,
  type ConnectionBudget,
  type Session,
  type Stream,
} from "./outbound_connection.ts";
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

// Connections with unsent bytes are looked at again at once while their
// sockets make progress, then less and less often, up to every 20 ms: a
// client that reads gets its answers at the pace it reads, and one that
// stopped costs almost nothing.
const MAX_POLL_MS = 20;
// Calls hand their connections answers, and sockets are read, for at most
// this long in one turn of the event loop; then every connection waits
// for the next look (a timer, so that Deno polls its sockets first), and
// a burst (hundreds of streams opened at once, each sending 64 KiB) leaves
// room for other connections' calls in between.
const SLICE_MS = 5;

const connections = new WeakMap<Session, Connection>();

/**
 * Answers held outside the gRPC port (the web port's streams and
 * WebSockets), counted in the same budget as its connections.
 */
export interface Holder {
  /** Answer bytes it holds unsent, as well as it can tell. */
  held(): number;
  /** Ends its call: it was holding most when the budget ran out. */
  reset(): void;
}

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
export class OutboundBudget implements ConnectionBudget {
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
  readonly #holders = new Set<Holder>();
  // Sockets not read until the next look: their data came past the slice.
  readonly #paused = new Set<Socket>();

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
      if (!this.admit()) {
        return asInterceptedCall(new RefusedCall(call, this.#calls));
      }
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

  /**
   * Takes a place for a call, false when `maxConcurrentCalls` already run
   * (on either port): each call a client keeps open costs memory (its
   * stream, buffers and handler state), whatever the number of
   * connections. A call admitted calls {@link ended} once over.
   */
  admit(): boolean {
    if (this.#calls >= this.limits.maxConcurrentCalls) return false;
    this.#calls++;
    return true;
  }

  /** Calls running, as admitted and not yet ended. */
  get calls(): number {
    return this.#calls;
  }

  /** A call has ended. */
  ended(): void {
    this.#calls--;
  }

  /**
   * Counts what `holder` holds in the budget until the function returned
   * is called; past the budget, it is reset if it holds most.
   */
  hold(holder: Holder): () => void {
    this.#holders.add(holder);
    if (!this.#scheduled) this.#schedule(this.#pollMs = 0);
    return () => this.#holders.delete(holder);
  }

  /**
   * Reads `socket` only while the turn's slice lasts: data that arrives
   * past it pauses the socket until the next look.
   */
  pace(socket: Socket): void {
    socket.on("data", () => {
      if (this.sliceOver() && !this.#paused.has(socket)) {
        socket.pause();
        this.#paused.add(socket);
      }
    });
  }

  /** Stops looking at connections (the server has closed). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#busy.clear();
    this.#holders.clear();
    this.#paused.clear();
  }

  /** Looks at `connection` until it has written what it was handed. */
  watch(connection: Connection): void {
    this.#busy.add(connection);
    if (!this.#scheduled) this.#schedule(this.#pollMs = 0);
  }

  /** Whether this turn's time for calls' work is used up. */
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
    for (const socket of this.#paused) socket.resume();
    this.#paused.clear();
    let queued = 0;
    let largest: Connection | Holder | undefined;
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
    for (const holder of this.#holders) {
      const held = holder.held();
      queued += held;
      if (held > most) [largest, most] = [holder, held];
    }
    if (queued > this.limits.maxQueuedBytes && largest !== undefined) {
      // Resetting its streams drops what the runtime holds for them. A
      // holder lets go at once, so the next look comes at once: a thousand
      // web streams are cut down within a few ms, not one per 20 ms.
      largest.reset();
      queued -= most;
      if (!(largest instanceof Connection)) moving = true;
    }
    this.#pollMs = moving ? 0 : Math.min(MAX_POLL_MS, this.#pollMs * 2 || 1);
    this.#queued = queued;
    if (this.#busy.size > 0 || this.#holders.size > 0) {
      this.#schedule(this.#pollMs);
    }
  };

  // A timer, even at zero: while immediates keep Deno's event loop awake,
  // it may read no new socket data for 61 turns (docs/upstream.md); a loop
  // waiting for a timer polls its sockets first.
  #schedule(ms: number): void {
    this.#scheduled = true;
    this.#soon = ms === 0;
    this.#timer = setTimeout(this.#poll, ms);
  }
}
