/**
 * One client connection as the outbound budget (outbound.ts) sees it: what
 * the server has handed the runtime for it, what its socket has written,
 * and the calls waiting for room on it.
 *
 * @module
 */
import http2 from "node:http2";

// Only messages are counted, not what HTTP/2 adds (frame headers, a
// call's headers and trailers): an estimate above what the socket writes
// could never come back to zero, and one below it is corrected each time
// the socket catches up.
// A connection's socket is read (about 70 ns) once this much more has been
// handed to it, not on every message.
const CHECK_BYTES = 4 << 10;
export type Session = http2.Http2Session;
export type Stream = http2.Http2Stream;

/** What a stream was handed since its connection last had nothing unsent. */
interface Handed {
  bytes: number;
  epoch: number;
}

/** What a connection needs from the budget it counts against. */
export interface ConnectionBudget {
  /** The window: unsent bytes past which the connection's calls wait. */
  readonly limits: Readonly<{ connectionWindowBytes: number }>;
  /** Messages a call may have handed over and not yet written. */
  readonly writeAhead: number;
  /** Looks at `connection` until it has written what it was handed. */
  watch(connection: Connection): void;
  /** Whether this turn's time for calls' work is used up. */
  sliceOver(): boolean;
  /** A call has ended. */
  ended(): void;
}

/** A call waiting for room on its connection. */
export interface Waiter {
  /** Whether it holds what the client sent (rather than an answer). */
  readonly reading: boolean;
  /** Its connection has room again. */
  wake(): void;
}

/** One client connection as the budget sees it. */
export class Connection {
  readonly session: Session;
  readonly budget: ConnectionBudget;
  /** Its open streams. */
  readonly streams: Map<Stream, Handed> = new Map();
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
  readonly waiting: Set<Waiter> = new Set();

  constructor(session: Session, budget: ConnectionBudget) {
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
