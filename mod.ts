/**
 * routeguide: the classic gRPC RouteGuide service, client and domain
 * library for Deno, over `@grpc/grpc-js`.
 *
 * - Messages: {@link Point}, {@link Rectangle}, {@link Feature},
 *   {@link RouteNote}, {@link RouteSummary}; errors are a
 *   {@link RouteGuideError} with a gRPC {@link Status} code.
 * - Places: a {@link FeatureDatabase}, loaded with {@link loadFeatureFile}
 *   or {@link loadWorldCities}; geo helpers {@link pointFromDegrees},
 *   {@link fromE7} and {@link distance}.
 * - The service: {@link createRouteGuide} builds the handlers
 *   ({@link RouteGuideHandlers}) over a database and a note board
 *   ({@link MemoryNoteBoard} or {@link RedisNoteBoard}).
 * - The transport: {@link startServer} serves handlers over gRPC;
 *   {@link RouteGuideClient} calls any RouteGuide server;
 *   {@link startWebServer} serves the same handlers to browsers (Connect,
 *   gRPC-Web and WebSockets).
 *
 * @example A server and a client in one process
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   FeatureDatabase,
 *   pointFromDegrees,
 *   RouteGuideClient,
 *   startServer,
 * } from "./mod.ts";
 *
 * const here = pointFromDegrees(48.8566, 2.3522);
 * const server = await startServer({
 *   host: "127.0.0.1",
 *   port: 0,
 *   features: new FeatureDatabase([{ name: "Paris", location: here }]),
 * });
 * const client = new RouteGuideClient(server.address);
 * try {
 *   assert.equal((await client.getFeature(here)).name, "Paris");
 * } finally {
 *   client.close();
 *   await server.close();
 * }
 * ```
 *
 * @module
 */
export type {
  Feature,
  Point,
  Rectangle,
  RouteNote,
  RouteSummary,
} from "./lib/domain/types.ts";
export {
  RouteGuideError,
  Status,
  type StatusCode,
} from "./lib/domain/errors.ts";
export {
  type Bounds,
  distance,
  fromE7,
  pointFromDegrees,
} from "./lib/domain/geo.ts";
export { FeatureDatabase } from "./lib/domain/features.ts";
export {
  loadFeatureFile,
  loadWorldCities,
} from "./lib/domain/feature_files.ts";
export type { NoteBoard, NoteBoardLimits } from "./lib/domain/notes.ts";
export { MemoryNoteBoard } from "./lib/domain/memory_notes.ts";
export {
  RedisNoteBoard,
  type RedisNoteBoardOptions,
} from "./lib/domain/redis_notes.ts";
export type {
  CallContext,
  ChatContext,
  ChatSession,
  RouteGuideHandlers,
  RouteRecorder,
} from "./lib/domain/handlers.ts";
export {
  createRouteGuide,
  type RouteChatLimits,
  type RouteGuideOptions,
} from "./lib/domain/service.ts";
export {
  type RouteGuideServer,
  type ServerOptions,
  startServer,
} from "./lib/grpc/server.ts";
export {
  startWebServer,
  type WebServer,
  type WebServerOptions,
} from "./lib/web/server.ts";
export type { ServerLimits } from "./lib/grpc/limits.ts";
export type { ClientTls, ServerTls } from "./lib/grpc/credentials.ts";
export type { LogFields, Logger } from "./lib/grpc/log.ts";
export {
  type CallOptions,
  type ClientOptions,
  RouteGuideClient,
} from "./lib/grpc/client.ts";
