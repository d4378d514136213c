/**
 * Write-ahead for server responses: lets a call hand grpc-js its next
 * messages before the earlier ones are written out, a bounded number at a
 * time.
 *
 * grpc-js sends a stream's messages one at a time: its writable call
 * passes the next message down only once the HTTP/2 stream has written
 * the previous one. Each message then costs a write of its own (a
 * runtime op and an HTTP/2 DATA frame) and a turn of the event loop.
 * Acknowledging a message at once, while fewer than `window` are still
 * being written, lets the HTTP/2 stream gather them: it writes what it
 * holds in one `writev` and packs them into large DATA frames. Measured on
 * ListFeatures (4,990 features a call): 10.5 us -> 1.3 us of server CPU
 * per feature.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import {
  asInterceptedCall,
  ForwardingCall,
  type ServerCall,
} from "./forwarding_call.ts";

/**
 * Response messages of one call that may be handed to the HTTP/2 stream
 * and not yet written. Our messages are at most about 1 KiB, so a call
 * holds at most about 128 KiB beyond what grpc-js buffers itself.
 *
 * @example
 * ```ts
 * import { DEFAULT_WRITE_AHEAD } from "./write_ahead.ts";
 * DEFAULT_WRITE_AHEAD; // 128
 * ```
 */
export const DEFAULT_WRITE_AHEAD = 128;

class WriteAheadCall extends ForwardingCall {
  readonly #window: number;
  #writing = 0;
  #held: (() => void) | undefined;
  // One callback for every message of the call, not a closure per message.
  readonly #written = (): void => {
    this.#writing--;
    const held = this.#held;
    if (held !== undefined && this.#writing < this.#window) {
      this.#held = undefined;
      held();
    }
  };

  constructor(next: ServerCall, window: number) {
    super(next);
    this.#window = window;
  }

  override sendMessage(message: unknown, callback: () => void): void {
    this.#writing++;
    this.next.sendMessage(message, this.#written);
    // grpc-js sends the next message only after this callback, so at most
    // one is ever held here.
    if (this.#writing < this.#window) callback();
    else this.#held = callback;
  }
}

/**
 * A server interceptor that lets each call have up to `window` response
 * messages being written at once (see the module's notes).
 *
 * Where HTTP/2 holds writes for a client that stops reading, the call
 * stops too: once `window` messages wait, grpc-js's own buffer fills and
 * reports backpressure as before. Deno 2.9.3 does not hold them (it
 * ignores HTTP/2 flow control), so there keepalive is what ends such a
 * call.
 *
 * @example
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * import { writeAheadInterceptor } from "./write_ahead.ts";
 * const server = new grpc.Server({ interceptors: [writeAheadInterceptor()] });
 * ```
 */
export function writeAheadInterceptor(
  window: number = DEFAULT_WRITE_AHEAD,
): grpc.ServerInterceptor {
  return (_method, call) => asInterceptedCall(new WriteAheadCall(call, window));
}
