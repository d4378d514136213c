/**
 * Starting and stopping a RouteGuide server over grpc-js.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { FeatureDatabase } from "./features.ts";
import {
  routeGuideServerDefinition,
  toGrpcImplementation,
} from "./grpc_adapter.ts";
import { MemoryNoteBoard, type NoteBoard } from "./notes.ts";
import { createRouteGuide } from "./service.ts";

/** Default grace period for calls in flight at shutdown, in milliseconds. */
export const DEFAULT_GRACE_MS = 5_000;

/** How to start a RouteGuide server. */
export interface ServerOptions {
  /** Host to bind (default `localhost`). */
  host?: string;
  /** Port to bind; 0 picks a free one (default 50051). */
  port?: number;
  /** Features to answer from (default: an empty database). */
  features?: FeatureDatabase;
  /** Where RouteChat notes are shared (default: a new in-memory board). */
  notes?: NoteBoard;
  /** Notes one RouteChat call may send (default 10,000). */
  maxNotesPerCall?: number;
  /** Extra grpc-js server options, such as `grpc.max_receive_message_length`. */
  channelOptions?: Record<string, string | number>;
}

/** A running RouteGuide server. */
export interface RouteGuideServer {
  /** The port actually bound. */
  readonly port: number;
  /** `host:port` as bound, for clients to dial. */
  readonly address: string;
  /**
   * Stops taking calls, gives calls in flight up to `graceMs` (default
   * 5 s) to finish, then cancels the rest. Resolves once stopped.
   */
  close(graceMs?: number): Promise<void>;
}

function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Starts a RouteGuide server and resolves once it listens.
 *
 * @example
 * ```ts ignore
 * import { startServer, FeatureDatabase } from "../mod.ts";
 * const server = await startServer({ host: "127.0.0.1", port: 0, features: new FeatureDatabase([]) });
 * console.log(`listening on ${server.address}`);
 * await server.close();
 * ```
 */
export async function startServer(
  options: ServerOptions = {},
): Promise<RouteGuideServer> {
  const host = options.host ?? "localhost";
  const notes = options.notes ?? new MemoryNoteBoard();
  const handlers = createRouteGuide({
    features: options.features ?? new FeatureDatabase([]),
    notes,
    maxNotesPerCall: options.maxNotesPerCall,
  });
  const grpcServer = new grpc.Server(options.channelOptions);
  grpcServer.addService(
    routeGuideServerDefinition,
    toGrpcImplementation(handlers),
  );
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync(
      formatHostPort(host, options.port ?? 50051),
      grpc.ServerCredentials.createInsecure(),
      (error, port) => error ? reject(error) : resolve(port),
    )
  );
  let closing: Promise<void> | undefined;
  return {
    port,
    address: formatHostPort(host, port),
    close(graceMs = DEFAULT_GRACE_MS) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => grpcServer.forceShutdown(), graceMs);
        grpcServer.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closing;
    },
  };
}
