/**
 * A typed RouteGuide client: promises for single answers, async iterables
 * for streams, cancellation through AbortSignal and deadlines in
 * milliseconds. Every failure is a RouteGuideError with the status code.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { channelSecurity, type ClientTls } from "./credentials.ts";
import { RouteGuideError } from "../domain/errors.ts";
import { channelTarget } from "./channel_target.ts";
import { RouteGuideStub } from "./proto.ts";
import type { RouteGuideClient as GeneratedClient } from "../gen/routeguide/RouteGuide.ts";
import type * as rg from "../domain/types.ts";

/**
 * Per-call options.
 *
 * @example Cancelling a call
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouteGuideClient, RouteGuideError, startServer, Status } from "../../mod.ts";
 * const server = await startServer({ host: "127.0.0.1", port: 0 });
 * const client = new RouteGuideClient(server.address);
 * try {
 *   const cancelled = AbortSignal.abort();
 *   await assert.rejects(
 *     client.getFeature({ latitude: 1, longitude: 1 }, { signal: cancelled, timeoutMs: 5_000 }),
 *     (error) => error instanceof RouteGuideError && error.code === Status.CANCELLED,
 *   );
 * } finally {
 *   client.close();
 *   await server.close();
 * }
 * ```
 */
export interface CallOptions {
  /** Cancels the call when aborted (the call fails with CANCELLED). */
  signal?: AbortSignal;
  /** Deadline from now, in milliseconds (DEADLINE_EXCEEDED past it). */
  timeoutMs?: number;
  /** Request metadata, such as `authorization`. */
  metadata?: Record<string, string>;
}

/**
 * How to reach a RouteGuide server.
 *
 * @example A server that wants a token
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouteGuideClient, RouteGuideError, startServer, Status } from "../../mod.ts";
 * const server = await startServer({ host: "127.0.0.1", port: 0, token: "s3cret" });
 * const here = { latitude: 1, longitude: 1 };
 * const withToken = new RouteGuideClient(server.address, { token: "s3cret" });
 * const without = new RouteGuideClient(server.address);
 * try {
 *   assert.equal((await withToken.getFeature(here)).name, "");
 *   await assert.rejects(
 *     without.getFeature(here),
 *     (error) => error instanceof RouteGuideError && error.code === Status.UNAUTHENTICATED,
 *   );
 * } finally {
 *   withToken.close();
 *   without.close();
 *   await server.close();
 * }
 * ```
 */
export interface ClientOptions {
  /** Connect with TLS (mTLS with a client certificate); plaintext without. */
  tls?: ClientTls;
  /** Shared bearer token, sent as `authorization: Bearer <token>`. */
  token?: string;
  /** Extra grpc-js channel options, such as `grpc.max_receive_message_length`. */
  channelOptions?: Record<string, string | number>;
}

function metadataOf(options: CallOptions): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) {
    metadata.set(key, value);
  }
  return metadata;
}

function callOptionsOf(options: CallOptions): grpc.CallOptions {
  return options.timeoutMs === undefined
    ? {}
    : { deadline: Date.now() + options.timeoutMs };
}

/** Cancels `call` when `signal` aborts; returns the unsubscribe function. */
function cancelOnAbort(
  call: { cancel(): void },
  signal: AbortSignal | undefined,
): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    call.cancel();
    return () => {};
  }
  const onAbort = () => call.cancel();
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

/**
 * A call the server answers once, as a promise: `start` makes the call
 * with the callback it is given, and `then` (if any) goes on with it, with
 * a way to fail the call (the promise rejects and the call is cancelled).
 */
function answerOf<C extends grpc.Call, T>(
  signal: AbortSignal | undefined,
  start: (done: (error: grpc.ServiceError | null, value?: T) => void) => C,
  then?: (call: C, fail: (error: unknown) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const call = start((error, value) => {
      cleanup();
      if (error) reject(RouteGuideError.from(error));
      else resolve(value!);
    });
    const cleanup = cancelOnAbort(call, signal);
    then?.(call, (error) => {
      reject(error);
      cleanup();
      call.cancel();
    });
  });
}

/**
 * Writes every item to a client stream, honouring backpressure, then ends
 * it. Stops pulling items (and lets the source finish) as soon as the call
 * has its status: a call that failed never emits `drain` again.
 */
async function sendAll<T>(
  call: grpc.ClientWritableStream<T> | grpc.ClientDuplexStream<T, unknown>,
  items: Iterable<T> | AsyncIterable<T>,
): Promise<void> {
  let done = false;
  let wake: (() => void) | undefined;
  const onDone = () => {
    done = true;
    wake?.();
  };
  const onDrain = () => wake?.();
  call.on("status", onDone).on("close", onDone).on("drain", onDrain);
  try {
    for await (const item of items) {
      if (done || call.destroyed) return;
      if (!call.write(item)) {
        // `drain` and `status` come on a later tick, never during write().
        if (!done) await new Promise<void>((resolve) => wake = resolve);
        wake = undefined;
      }
    }
    if (!done) call.end();
  } finally {
    call.off("status", onDone).off("close", onDone).off("drain", onDrain);
  }
}

/**
 * Reads a client stream as an async iterable; a failed call throws a
 * RouteGuideError, or the error of `send`, which writes the requests.
 * The call starts with the iteration: a stream never read makes no call,
 * and so no failure that nobody would catch.
 */
async function* receiveAll<T, C extends ReceivingCall<T>>(
  start: () => C,
  signal: AbortSignal | undefined,
  send?: (call: C) => Promise<void>,
): AsyncGenerator<T, void, undefined> {
  const call = start();
  const cleanup = cancelOnAbort(call, signal);
  let failed: { error: unknown } | undefined;
  send?.(call).catch((error) => {
    failed = { error };
    call.cancel();
  });
  try {
    for await (const item of call) yield item as T;
  } catch (error) {
    throw failed ? failed.error : RouteGuideError.from(error);
  } finally {
    // Leaving early (break, return, throw) cancels the call.
    call.cancel();
    cleanup();
  }
}

type ReceivingCall<T> =
  | grpc.ClientReadableStream<T>
  | grpc.ClientDuplexStream<rg.RouteNote, T>;

/**
 * A RouteGuide client over grpc-js.
 *
 * @example The four RouteGuide calls
 * ```ts
 * import assert from "node:assert/strict";
 * import { FeatureDatabase, RouteGuideClient, startServer } from "../../mod.ts";
 * const a = { latitude: 10, longitude: 10 };
 * const b = { latitude: 20, longitude: 20 };
 * const server = await startServer({
 *   host: "127.0.0.1",
 *   port: 0,
 *   features: new FeatureDatabase([{ name: "A", location: a }, { name: "B", location: b }]),
 * });
 * const client = new RouteGuideClient(server.address);
 * try {
 *   assert.equal((await client.getFeature(a)).name, "A");
 *   const listed = await Array.fromAsync(client.listFeatures({ lo: a, hi: b }));
 *   assert.deepEqual(listed.map((f) => f.name), ["A", "B"]);
 *   const summary = await client.recordRoute([a, b, a]);
 *   assert.equal(summary.featureCount, 3);
 *   await Array.fromAsync(client.routeChat([{ location: a, message: "first" }]));
 *   const earlier = await Array.fromAsync(client.routeChat([{ location: a, message: "second" }]));
 *   assert.deepEqual(earlier.map((n) => n.message), ["first"]);
 * } finally {
 *   client.close();
 *   await server.close();
 * }
 * ```
 */
export class RouteGuideClient {
  readonly #stub: GeneratedClient;

  /**
   * Creates a client for `address` (`host:port`, or any grpc-js target), or
   * for several replicas (a list, or `host:port,host:port`) balanced with
   * round_robin: see {@link channelTarget}.
   */
  constructor(
    address: string | readonly string[],
    options: ClientOptions = {},
  ) {
    const { target, channelOptions } = channelTarget(address);
    const security = channelSecurity(target, options);
    this.#stub = new RouteGuideStub(target, security.credentials, {
      ...channelOptions,
      ...security.channelOptions,
      ...options.channelOptions,
    });
  }

  /** The feature at a point; an unnamed feature when there is none. */
  getFeature(point: rg.Point, options: CallOptions = {}): Promise<rg.Feature> {
    return answerOf(options.signal, (done) =>
      this.#stub.GetFeature(
        point,
        metadataOf(options),
        callOptionsOf(options),
        done,
      ));
  }

  /**
   * Every feature inside a rectangle, as the server streams them. The call
   * starts when the iteration does.
   */
  listFeatures(
    rectangle: rg.Rectangle,
    options: CallOptions = {},
  ): AsyncIterable<rg.Feature> {
    return receiveAll(
      () =>
        this.#stub.ListFeatures(
          rectangle,
          metadataOf(options),
          callOptionsOf(options),
        ),
      options.signal,
    );
  }

  /** Sends a route's points and resolves with the server's summary. */
  recordRoute(
    points: Iterable<rg.Point> | AsyncIterable<rg.Point>,
    options: CallOptions = {},
  ): Promise<rg.RouteSummary> {
    return answerOf(
      options.signal,
      (done) =>
        this.#stub.RecordRoute(
          metadataOf(options),
          callOptionsOf(options),
          done,
        ),
      // The source failed: report its error, then give up the call.
      (call, fail) => sendAll(call, points).catch(fail),
    );
  }

  /**
   * Sends notes and yields the notes the server returns (earlier notes at
   * each note's location) until both sides are done. The call starts when
   * the iteration does. When `notes` throws, the call is cancelled and
   * iteration throws that error.
   */
  routeChat(
    notes: Iterable<rg.RouteNote> | AsyncIterable<rg.RouteNote>,
    options: CallOptions = {},
  ): AsyncIterable<rg.RouteNote> {
    return receiveAll(
      () => this.#stub.RouteChat(metadataOf(options), callOptionsOf(options)),
      options.signal,
      (call) => sendAll(call, notes),
    );
  }

  /** Closes the channel; calls in flight are cancelled. */
  close(): void {
    this.#stub.close();
  }
}
