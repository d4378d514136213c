/**
 * The call next to the transport that the outbound budget (outbound.ts)
 * puts first in every server's chain, and the call it puts there instead
 * when the server already runs as many calls as it may.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { Status } from "../domain/errors.ts";
import {
  ForwardingCall,
  ListeningCall,
  type ServerCall,
} from "./forwarding_call.ts";
import type { Connection, Stream, Waiter } from "./outbound_connection.ts";

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
export class OutboundCall extends ListeningCall implements Waiter {
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

/**
 * What a call over `maxConcurrentCalls` is told, `calls` running.
 *
 * @example
 * ```ts
 * import { overCalls } from "./outbound_call.ts";
 * overCalls(2000); // "the server is already running 2000 calls; retry later"
 * ```
 */
export function overCalls(calls: number): string {
  return `the server is already running ${calls} calls; retry later`;
}

/** A call over the limit: ended before its handler hears of it. */
export class RefusedCall extends ForwardingCall {
  readonly #calls: number;

  constructor(next: ServerCall, calls: number) {
    super(next);
    this.#calls = calls;
  }

  override start(): void {
    this.next.sendStatus({
      code: Status.RESOURCE_EXHAUSTED,
      details: overCalls(this.#calls),
    });
  }
}
