/**
 * Server limits: message size, calls and connections at once, keepalive,
 * connection lifetime and answers held unsent, with defaults meant for a
 * server facing clients it does not control. RouteChat's own bounds are
 * `RouteChatLimits` (domain/service.ts).
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";

/**
 * Limits a server enforces; 0 turns a time limit off.
 *
 * @example A smaller largest request
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouteGuideClient, RouteGuideError, type ServerLimits, startServer, Status } from "../../mod.ts";
 * const limits: Partial<ServerLimits> = { maxReceiveMessageBytes: 64 };
 * const server = await startServer({ host: "127.0.0.1", port: 0, limits });
 * const client = new RouteGuideClient(server.address);
 * try {
 *   const note = { location: { latitude: 1, longitude: 1 }, message: "x".repeat(100) };
 *   await assert.rejects(
 *     Array.fromAsync(client.routeChat([note])),
 *     (error) => error instanceof RouteGuideError && error.code === Status.RESOURCE_EXHAUSTED,
 *   );
 * } finally {
 *   client.close();
 *   await server.close();
 * }
 * ```
 */
export interface ServerLimits {
  /** Largest request message accepted, in bytes (RESOURCE_EXHAUSTED past it). */
  maxReceiveMessageBytes: number;
  /** Calls in flight at once on one HTTP/2 connection. */
  maxConcurrentStreams: number;
  /** Calls in flight at once in total (RESOURCE_EXHAUSTED past it; see outbound.ts). */
  maxConcurrentCalls: number;
  /** Client connections at once; more are closed as they arrive. */
  maxConnections: number;
  /** Idle time after which the server pings a connection, in ms. */
  keepaliveTimeMs: number;
  /** How long a ping may go unanswered before the connection is dropped, in ms. */
  keepaliveTimeoutMs: number;
  /** A connection without calls for this long is closed (GOAWAY), in ms. */
  maxConnectionIdleMs: number;
  /** A connection older than this is asked to go away, in ms. */
  maxConnectionAgeMs: number;
  /** Time calls get to finish after a max-age GOAWAY, in ms. */
  maxConnectionAgeGraceMs: number;
  /**
   * Answer bytes one connection may hold unsent (its client not reading)
   * before its calls wait (see outbound.ts).
   */
  connectionWindowBytes: number;
  /**
   * Answer bytes all connections may hold unsent; past it, the calls of the
   * connection holding most end in RESOURCE_EXHAUSTED.
   */
  maxQueuedBytes: number;
}

/**
 * Default limits. Our largest message is a RouteNote (at most 1,024 bytes
 * of text), so 64 KiB is ample; keepalive finds dead peers within 80 s.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS } from "./limits.ts";
 * DEFAULT_LIMITS.maxConcurrentCalls; // 2000
 * ```
 */
export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxReceiveMessageBytes: 64 * 1024,
  maxConcurrentStreams: 100,
  maxConcurrentCalls: 2_000,
  maxConnections: 1_000,
  keepaliveTimeMs: 60_000,
  keepaliveTimeoutMs: 20_000,
  maxConnectionIdleMs: 15 * 60_000,
  maxConnectionAgeMs: 60 * 60_000,
  maxConnectionAgeGraceMs: 5 * 60_000,
  connectionWindowBytes: 64 << 10,
  maxQueuedBytes: 32 << 20,
});

/**
 * The grpc-js server options that enforce `limits` (outbound.ts enforces
 * the rest).
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS, grpcOptionsFor } from "./limits.ts";
 * grpcOptionsFor(DEFAULT_LIMITS)["grpc.max_concurrent_streams"]; // 100
 * ```
 */
export function grpcOptionsFor(limits: ServerLimits): grpc.ServerOptions {
  // grpc-js takes "unlimited" as the largest int32 number of ms.
  const time = (ms: number) => ms === 0 ? 2 ** 31 - 1 : ms;
  return {
    "grpc.max_receive_message_length": limits.maxReceiveMessageBytes,
    "grpc.max_concurrent_streams": limits.maxConcurrentStreams,
    "grpc.keepalive_time_ms": time(limits.keepaliveTimeMs),
    "grpc.keepalive_timeout_ms": limits.keepaliveTimeoutMs,
    "grpc.max_connection_idle_ms": time(limits.maxConnectionIdleMs),
    "grpc.max_connection_age_ms": time(limits.maxConnectionAgeMs),
    "grpc.max_connection_age_grace_ms": time(limits.maxConnectionAgeGraceMs),
  };
}
