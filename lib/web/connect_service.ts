/**
 * Meets connect-es with the service's handlers (`RouteGuideHandlers`): the
 * RouteGuide implementation that the web port's ConnectRouter serves over
 * Connect and gRPC-Web. Requests arrive as protobuf-es messages and are
 * handed to the handlers as the domain's plain objects; a thrown
 * RouteGuideError becomes a ConnectError with the same code (connect-es's
 * codes are gRPC's numbers). Each call counts its messages on its
 * {@link WebCall}, for the access log.
 *
 * @module
 */
import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { NOT_READING, RouteGuideError, Status } from "../domain/errors.ts";
import type { ChatSession, RouteGuideHandlers } from "../domain/handlers.ts";
import { UNREAD_LIVE_NOTE_BYTES } from "../domain/note_watchers.ts";
import { noteBytes } from "../domain/notes.ts";
import type * as rg from "../domain/types.ts";
import type { CallRecord } from "../grpc/access_log.ts";
import type * as es from "../gen/es/route_guide_pb.ts";
import type { RouteGuide } from "../gen/es/route_guide_pb.ts";

/** One call on the web port, as the access log will tell it. */
export interface WebCall extends CallRecord {
  /** connect-es's context, once the call got that far. */
  context?: HandlerContext;
  /** Why the call is refused before it starts (the server is full). */
  refused?: string;
}

/** Where a call's {@link WebCall} travels in connect-es's context values. */
export const WEB_CALL = createContextKey<WebCall | undefined>(undefined);

/** Reports errors that are not a RouteGuideError (bugs). */
export type InternalErrorReporter = (method: string, error: unknown) => void;

/**
 * The ConnectError for anything a handler threw: a RouteGuideError keeps
 * its code and message, connect-es's own errors (a body that does not
 * parse, a message too large) pass as they are, anything else is our bug
 * and says no more than "internal error".
 */
export function toConnectError(
  method: string,
  error: unknown,
  report: InternalErrorReporter,
): ConnectError {
  if (error instanceof RouteGuideError) {
    return new ConnectError(error.message, error.code as number as Code);
  }
  if (error instanceof ConnectError) return error;
  report(method, error);
  return new ConnectError("internal error", Code.Internal);
}

/** `requests`, each counted on `call` as received. */
async function* counted<T>(
  requests: AsyncIterable<T>,
  call: WebCall | undefined,
): AsyncIterable<T> {
  for await (const request of requests) {
    if (call) call.received++;
    yield request;
  }
}

// protobuf-es leaves an absent message field undefined; the domain says null.
const point = (p: es.Point | undefined): rg.Point | null =>
  p === undefined ? null : { latitude: p.latitude, longitude: p.longitude };
/** A protobuf-es RouteNote as the domain's. */
const note = (n: es.RouteNote): rg.RouteNote => ({
  location: point(n.location),
  message: n.message,
});
// The domain's features may hold a null location; protobuf-es wants none.
const feature = (f: rg.Feature) => ({
  name: f.name,
  location: f.location ?? undefined,
});
/** The domain's RouteNote as protobuf-es takes it. */
const routeNote = (n: rg.RouteNote) => ({
  location: n.location ?? undefined,
  message: n.message,
});

/**
 * What goes out to one RouteChat client, in order: the answers to its
 * notes, which wait until the client has taken them before the next note
 * is read, and live notes, which wait up to UNREAD_LIVE_NOTE_BYTES.
 */
class ChatOutbox implements AsyncIterable<rg.RouteNote> {
  readonly #notes: rg.RouteNote[] = [];
  // noteBytes() of each live note in #notes, 0 for an answer.
  readonly #bytes: number[] = [];
  #unread = 0;
  #answers = 0;
  #closed = false;
  #error: unknown;
  #wake = () => {};
  #taken = () => {};

  answer(notes: readonly rg.RouteNote[]): void {
    if (this.#closed) return;
    for (const n of notes) this.#push(n, 0);
    this.#answers += notes.length;
  }

  live(n: rg.RouteNote): void {
    const bytes = noteBytes(n);
    if (this.#unread > 0 && this.#unread + bytes > UNREAD_LIVE_NOTE_BYTES) {
      this.close(new RouteGuideError(Status.RESOURCE_EXHAUSTED, NOT_READING));
    } else this.#push(n, bytes);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves once every answer queued has been taken (or the outbox closed). */
  taken(): Promise<void> | undefined {
    if (this.#answers === 0 || this.#closed) return;
    return new Promise((resolve) => this.#taken = resolve);
  }

  /** Ends the notes, with `error` if given; later notes are dropped. */
  close(error?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#error = error;
    this.#wake();
    this.#taken();
  }

  #push(n: rg.RouteNote, bytes: number): void {
    if (this.#closed) return;
    this.#notes.push(n);
    this.#bytes.push(bytes);
    this.#unread += bytes;
    this.#wake();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<rg.RouteNote> {
    for (;;) {
      while (this.#notes.length > 0 && this.#error === undefined) {
        const bytes = this.#bytes.shift()!;
        this.#unread -= bytes;
        if (bytes === 0 && --this.#answers === 0) this.#taken();
        yield this.#notes.shift()!;
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#closed) return;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }
}

/**
 * The connect-es implementation of RouteGuide over `handlers`.
 *
 * @example
 * ```ts ignore
 * import { createConnectRouter } from "@connectrpc/connect";
 * import { RouteGuide } from "../gen/es/route_guide_pb.ts";
 * const router = createConnectRouter().service(RouteGuide, toConnectImplementation(handlers, report));
 * ```
 */
export function toConnectImplementation(
  handlers: RouteGuideHandlers,
  report: InternalErrorReporter,
): ServiceImpl<typeof RouteGuide> {
  const fail = (method: string, error: unknown): never => {
    throw toConnectError(method, error, report);
  };
  return {
    async getFeature(request, context) {
      const call = context.values.get(WEB_CALL);
      if (call) call.received++;
      try {
        const answer = feature(
          await handlers.getFeature(point(request)!, context),
        );
        if (call) call.sent++;
        return answer;
      } catch (error) {
        return fail("GetFeature", error);
      }
    },

    async *listFeatures(request, context) {
      const call = context.values.get(WEB_CALL);
      if (call) call.received++;
      try {
        const features = handlers.listFeatures(
          { lo: point(request.lo), hi: point(request.hi) },
          context,
        );
        for await (const each of features) {
          if (call) call.sent++;
          yield feature(each);
        }
      } catch (error) {
        fail("ListFeatures", error);
      }
    },

    async recordRoute(requests, context) {
      const call = context.values.get(WEB_CALL);
      let recorder;
      try {
        recorder = handlers.recordRoute(context);
        for await (const request of counted(requests, call)) {
          await recorder.add(point(request)!);
        }
        const summary = await recorder.finish();
        if (call) call.sent++;
        return summary;
      } catch (error) {
        return fail("RecordRoute", error);
      } finally {
        recorder?.end?.();
      }
    },

    async *routeChat(requests, context) {
      const call = context.values.get(WEB_CALL);
      const outbox = new ChatOutbox();
      let session: ChatSession | undefined;
      try {
        const chat = session = handlers.routeChat({
          signal: context.signal,
          send: (n) => outbox.live(n),
        });
        // Requests are read alongside, so that live notes go out while
        // the client sends nothing.
        (async () => {
          for await (const request of counted(requests, call)) {
            if (outbox.closed) break;
            const answers = chat.note(note(request));
            outbox.answer(answers instanceof Promise ? await answers : answers);
            chat.answered?.();
            await outbox.taken();
          }
        })().then(() => outbox.close(), (error) => outbox.close(error));
        for await (const answer of outbox) {
          if (call) call.sent++;
          yield routeNote(answer);
        }
      } catch (error) {
        fail("RouteChat", error);
      } finally {
        outbox.close();
        session?.end?.();
      }
    },
  };
}
