/**
 * connect-es's answers as fetch Responses for `Deno.serve`, and what the
 * access log says of each call once its answer is over.
 *
 * @module
 */
import { ConnectError } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeFromHttpStatus } from "@connectrpc/connect/protocol-connect";
import { Status } from "../domain/errors.ts";
import type { WebCall } from "./connect_service.ts";

/** A call still answering: how to end it when the grace period is over. */
export type Open = () => void;

/** What a call still running at the end of the grace period is told. */
export const SHUT_DOWN = "the server shut down before the call finished";

/**
 * The call's status once its answer is over: cancelled when the client (or
 * the server at shutdown) ended it early, else what connect-es ended its
 * context with, else what the HTTP status says (a request refused before
 * it became a call, such as a wrong content type).
 */
export function settle(
  call: WebCall,
  httpStatus: number,
  cancelled: boolean,
  pastGrace: boolean,
): void {
  const reason = call.context?.signal.reason;
  if (cancelled && pastGrace) {
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
 * been sent or cancelled. A unary Connect answer (it has its length) goes
 * as one buffer; a stream is pulled message by message as the client
 * reads, so a client that stops reading holds back the handler, not
 * memory.
 */
export async function toFetchResponse(
  response: UniversalServerResponse,
  done: (cancelled: boolean) => void,
  open: Set<Open>,
): Promise<Response> {
  const init = { status: response.status, headers: response.header };
  if (response.body === undefined) {
    done(false);
    return new Response(null, init);
  }
  const chunks = response.body[Symbol.asyncIterator]();
  if (response.header?.has("content-length")) {
    // connect-es's buffers are plain ArrayBuffer views.
    const parts: Uint8Array<ArrayBuffer>[] = [];
    for (let r = await chunks.next(); !r.done; r = await chunks.next()) {
      parts.push(r.value as Uint8Array<ArrayBuffer>);
    }
    done(false);
    return new Response(parts.length === 1 ? parts[0] : new Blob(parts), init);
  }
  let finished = false;
  const finish = (cancelled: boolean) => {
    if (finished) return;
    finished = true;
    open.delete(end);
    done(cancelled);
  };
  let stream!: ReadableStreamDefaultController<Uint8Array>;
  const end = () => {
    finish(true);
    stream.error(new Error("the server is shutting down"));
    chunks.return?.();
  };
  open.add(end);
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        stream = controller;
      },
      async pull(controller) {
        let r;
        try {
          r = await chunks.next();
        } catch (error) {
          finish(false);
          return controller.error(error);
        }
        if (finished) return;
        if (r.done) {
          finish(false);
          controller.close();
        } else controller.enqueue(r.value);
      },
      async cancel(reason) {
        finish(true);
        try {
          await chunks.throw?.(reason);
        } catch {
          // The pipeline rethrows the reason it was cancelled with.
        }
      },
    }),
    init,
  );
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
