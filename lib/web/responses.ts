/**
 * connect-es's answers as fetch Responses for `Deno.serve`, and what the
 * access log says of each call once its answer is over.
 *
 * @module
 */
import { ConnectError } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeFromHttpStatus } from "@connectrpc/connect/protocol-connect";
import { NOT_READING, SHUT_DOWN, Status } from "../domain/errors.ts";
import type { Holder, OutboundBudget } from "../grpc/outbound.ts";
import type { WebCall } from "./connect_service.ts";

/** A call still answering: how to end it when the grace period is over. */
export type Open = () => void;

const encoder = new TextEncoder();

/** `message` cut to the 123 bytes a WebSocket close frame's reason may hold. */
export function closeReason(message: string): string {
  const bytes = encoder.encode(message);
  if (bytes.length <= 123) return message;
  let end = 123;
  while ((bytes[end] & 0xc0) === 0x80) end--; // not inside a character
  return new TextDecoder().decode(bytes.subarray(0, end));
}

/**
 * How an answer ended: over (whole, or with the call's error); cancelled
 * (by the client, or at shutdown); or cut because its client was not
 * reading it when the outbound budget ran out.
 */
export type Ending = "over" | "cancelled" | "not reading";

/**
 * What `Deno.serve` may hold for one answer whose client stopped reading:
 * hyper's write buffer (measured: 1,000 HTTP/1.1 ListFeatures left unread
 * added 242 MB, about 240 KB each).
 */
const HELD_PER_STREAM = 256 << 10;
/** A chunk left this long untaken: its client is not keeping up. */
const STALE_MS = 100;

// Pulls past this turn's slice (budget.sliceOver, shared with the gRPC
// port's calls) wait here and go on a few per turn of the event loop, each
// turn a timer (immediates would keep Deno's loop awake, reading no new
// socket data: docs/upstream.md): a thousand streams leave room for every
// other call.
const later: (() => void)[] = [];
const PULLS_PER_TURN = 4;

function pullLater(): void {
  for (const pull of later.splice(0, PULLS_PER_TURN)) pull();
  if (later.length > 0) setTimeout(pullLater, 0);
}

/**
 * An answer's body, pulled by `Deno.serve` as its client reads, counted in
 * the outbound budget (shared with the gRPC port) while its client is not
 * keeping up. Deno does not say what it has written, so a body whose last
 * chunk waited more than {@link STALE_MS} to be taken (or is waiting) counts
 * what it handed over, up to what Deno buffers for a stream; if it holds
 * most when the budget runs out, `cut` ends it (erroring the body drops
 * what Deno holds for it).
 */
export class AnswerBody implements Holder {
  /** The body, for a Response. */
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #handed = 0;
  // When the last chunk was handed over; -1 while a pull is making one.
  #since = -1;
  // How long Deno took to take the last chunk it took.
  #lastWait = 0;
  readonly #cut: () => void;
  readonly #release: () => void;
  #over = false;

  /** `pull` makes the next chunk(s); `cancel` hears of the client going. */
  constructor(
    budget: OutboundBudget,
    pull: () => Promise<void>,
    cancel: (reason: unknown) => Promise<void> | void,
    cut: () => void,
  ) {
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => {
        if (this.#since >= 0) this.#lastWait = performance.now() - this.#since;
        this.#since = -1;
        if (later.length === 0 && !budget.sliceOver()) return pull();
        if (later.length === 0) setTimeout(pullLater, 0);
        return new Promise<void>((go) => later.push(go)).then(pull);
      },
      cancel,
    });
    this.#cut = cut;
    this.#release = budget.hold(this);
  }

  /** Hands `chunk` to Deno. */
  enqueue(chunk: Uint8Array): void {
    this.#handed += chunk.length;
    this.#since = performance.now();
    this.#controller.enqueue(chunk);
  }

  /** Ends the body. */
  close(): void {
    this.#release();
    this.#controller.close();
  }

  /** Ends the body with an error: Deno drops the answer. */
  error(reason: unknown): void {
    this.#release();
    this.#controller.error(reason);
  }

  /** Whether {@link end} has been called. */
  get over(): boolean {
    return this.#over;
  }

  /** Marks the answer over, no longer counted: false if it already was. */
  end(): boolean {
    if (this.#over) return false;
    this.#over = true;
    this.#release();
    return true;
  }

  held(): number {
    const since = this.#since;
    const waiting = since < 0 ? 0 : performance.now() - since;
    return Math.max(waiting, this.#lastWait) > STALE_MS
      ? Math.min(this.#handed, HELD_PER_STREAM)
      : 0;
  }

  reset(): void {
    this.#release();
    this.#cut();
  }
}

/**
 * The call's status once its answer is over: RESOURCE_EXHAUSTED when cut
 * for not reading, cancelled when the client (or the server at shutdown)
 * ended it early, else what connect-es ended its
 * context with, else what the HTTP status says (a request refused before
 * it became a call, such as a wrong content type).
 */
export function settle(
  call: WebCall,
  httpStatus: number,
  ending: Ending,
  pastGrace: boolean,
): void {
  const reason = call.context?.signal.reason;
  const cancelled = ending === "cancelled";
  if (ending === "not reading") {
    call.code = Status.RESOURCE_EXHAUSTED;
    call.details = NOT_READING;
  } else if (cancelled && pastGrace) {
    call.code = Status.UNAVAILABLE; // as the gRPC port says it
    call.details = SHUT_DOWN;
  } else if (cancelled) {
    call.code = Status.CANCELLED;
    call.details = "cancelled by the client";
  } else if (reason instanceof ConnectError) {
    call.code = reason.code;
    call.details = reason.rawMessage;
  } else if (httpStatus !== 200) {
    call.code = codeFromHttpStatus(httpStatus);
    call.details = `HTTP ${httpStatus}`;
  }
}

/**
 * connect-es's answer as a fetch Response, calling `done` once when it has
 * been sent, cancelled or cut. A unary Connect answer (it has its length)
 * goes as one buffer; a stream is pulled message by message as the client
 * reads, so a client that stops reading holds back the handler, and what
 * Deno holds for it counts in `budget`.
 */
export async function toFetchResponse(
  response: UniversalServerResponse,
  done: (ending: Ending) => void,
  open: Set<Open>,
  budget: OutboundBudget,
): Promise<Response> {
  const init = { status: response.status, headers: response.header };
  if (response.body === undefined) {
    done("over");
    return new Response(null, init);
  }
  const chunks = response.body[Symbol.asyncIterator]();
  if (response.header?.has("content-length")) {
    // connect-es's buffers are plain ArrayBuffer views.
    const parts: Uint8Array<ArrayBuffer>[] = [];
    for (let r = await chunks.next(); !r.done; r = await chunks.next()) {
      parts.push(r.value as Uint8Array<ArrayBuffer>);
    }
    done("over");
    return new Response(parts.length === 1 ? parts[0] : new Blob(parts), init);
  }
  const finish = (ending: Ending) => {
    if (!body.end()) return;
    open.delete(end);
    done(ending);
  };
  const stop = (ending: Ending, reason: string) => {
    finish(ending);
    body.error(new Error(reason));
    chunks.return?.();
  };
  const end = () => stop("cancelled", "the server is shutting down");
  const body: AnswerBody = new AnswerBody(budget, async () => {
    let r;
    try {
      r = await chunks.next();
    } catch (error) {
      finish("over");
      return body.error(error);
    }
    if (body.over) return;
    if (r.done) {
      finish("over");
      body.close();
    } else body.enqueue(r.value);
  }, async (reason) => {
    finish("cancelled");
    try {
      await chunks.throw?.(reason);
    } catch {
      // The pipeline rethrows the reason it was cancelled with.
    }
  }, () => stop("not reading", NOT_READING));
  open.add(end);
  return new Response(body.stream, init);
}

const NO_CHUNKS: AsyncIterable<Uint8Array> = {
  [Symbol.asyncIterator]: () => ({
    next: () => Promise.resolve({ done: true, value: undefined }),
  }),
};

/** A request body as connect-es reads it. */
export function chunksOf(
  body: ReadableStream<Uint8Array> | null,
): AsyncIterable<Uint8Array> {
  return body === null ? NO_CHUNKS : body;
}
