/**
 * routeguide: the classic gRPC RouteGuide service, client and domain
 * library for Deno, over `@grpc/grpc-js`.
 *
 * @example
 * ```ts ignore
 * import { FeatureDatabase, RouteGuideClient, startServer } from "./mod.ts";
 *
 * const server = await startServer({
 *   host: "127.0.0.1",
 *   port: 0,
 *   features: new FeatureDatabase([
 *     { name: "Here", location: { latitude: 1, longitude: 2 } },
 *   ]),
 * });
 * const client = new RouteGuideClient(server.address);
 * const feature = await client.getFeature({ latitude: 1, longitude: 2 });
 * console.log(feature.name); // "Here"
 * client.close();
 * await server.close();
 * ```
 *
 * @module
 */
export * from "./lib/domain/types.ts";
export * from "./lib/domain/errors.ts";
export * from "./lib/domain/geo.ts";
export * from "./lib/domain/features.ts";
export * from "./lib/domain/feature_files.ts";
export * from "./lib/domain/notes.ts";
export * from "./lib/domain/redis_notes.ts";
export * from "./lib/domain/validate.ts";
export * from "./lib/domain/service.ts";
export { SERVICE_NAME } from "./lib/grpc/proto.ts";
export * from "./lib/grpc/server.ts";
export * from "./lib/cli/workers.ts";
export * from "./lib/grpc/client.ts";
export * from "./lib/cli/demo.ts";
// Types only: the pino-backed createLogger is the "./log" export, so that
// importing this module needs no permission for pino's hostname lookup.
export type {
  LogFields,
  LogFormat,
  Logger,
  LoggerOptions,
  LogLevel,
  LogOutput,
} from "./lib/grpc/log.ts";
export { loadToken, TOKEN_ENV, TokenError } from "./lib/grpc/auth.ts";
export {
  CLIENT_SECURITY_FLAGS,
  CLIENT_SECURITY_HELP,
  clientOptionsFromFlags,
  type ClientSecurity,
  type ClientTls,
  CredentialsError,
  loadClientOptions,
  loadServerTls,
  type ServerTls,
  type ServerTlsFiles,
} from "./lib/grpc/credentials.ts";
export { HEALTH_SERVICES } from "./lib/grpc/health.ts";
export { DEFAULT_LIMITS, type ServerLimits } from "./lib/grpc/limits.ts";
