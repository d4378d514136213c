/**
 * Starting and stopping a RouteGuide server over grpc-js.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { Socket } from "node:net";
import { FeatureDatabase } from "../domain/features.ts";
import { toGrpcImplementation } from "./grpc_adapter.ts";
import { routeGuideServerDefinition } from "./service_definition.ts";
import type { NoteBoard } from "../domain/notes.ts";
import { MemoryNoteBoard } from "../domain/memory_notes.ts";
import { SERVICE_NAME } from "./proto.ts";
import type { RouteGuideHandlers } from "../domain/handlers.ts";
import { createRouteGuide, type RouteChatLimits } from "../domain/service.ts";
import { accessLogInterceptor } from "./access_log.ts";
import { bearerTokenInterceptor } from "./auth.ts";
import { addHealthService, type HealthStatus } from "./health.ts";
import { DEFAULT_LIMITS, grpcOptionsFor, type ServerLimits } from "./limits.ts";
import type { Logger } from "./log.ts";
import { addReflectionService } from "./reflection.ts";
import { serverCredentials, type ServerTls } from "./credentials.ts";
import { OutboundBudget } from "./outbound.ts";
import {
  asInterceptedCall,
  ListeningCall,
  type ServerCall,
} from "./forwarding_call.ts";
import { SHUT_DOWN, Status } from "../domain/errors.ts";
import "./grpc_js_fixes.ts";

/** Default grace period for calls in flight at shutdown, in milliseconds. */
export const DEFAULT_GRACE_MS = 5_000;

// How long calls ended at shutdown get for their status to reach their
// clients before the server cuts the connections.
const CUT_AFTER_MS = 500;

/**
 * A call in progress, in the server's set until it ends: the calls still
 * running when the grace period runs out are told why they end.
 */
class RunningCall extends ListeningCall {
  readonly #running: Set<RunningCall>;

  constructor(next: ServerCall, running: Set<RunningCall>) {
    super(next);
    this.#running = running;
    running.add(this);
  }

  override onCancel(): void {
    this.#running.delete(this);
    super.onCancel();
  }
}

/**
 * How to start a RouteGuide server.
 *
 * @example A server with its own RouteChat bounds
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouteGuideClient, RouteGuideError, type ServerOptions, startServer, Status } from "../../mod.ts";
 * const options: ServerOptions = {
 *   host: "127.0.0.1",
 *   port: 0,
 *   chat: { maxNotesPerCall: 1 },
 * };
 * const server = await startServer(options);
 * const client = new RouteGuideClient(server.address);
 * const here = { latitude: 1, longitude: 1 };
 * try {
 *   await assert.rejects(
 *     Array.fromAsync(client.routeChat([{ location: here, message: "a" }, { location: here, message: "b" }])),
 *     (error) => error instanceof RouteGuideError && error.code === Status.RESOURCE_EXHAUSTED,
 *   );
 * } finally {
 *   client.close();
 *   await server.close();
 * }
 * ```
 */
export interface ServerOptions {
  /** Host to bind (default `localhost`). */
  host?: string;
  /** Port to bind; 0 picks a free one (default 50051). */
  port?: number;
  /** Features to answer from (default: an empty database). */
  features?: FeatureDatabase;
  /**
   * Where RouteChat notes are shared (default: a new in-memory board with
   * `chat`'s bounds). Its health is the RouteGuide service's health.
   */
  notes?: NoteBoard;
  /** RouteChat's bounds; unset ones take `DEFAULT_ROUTE_CHAT_LIMITS`. */
  chat?: RouteChatLimits;
  /**
   * The service to serve, in place of the RouteGuide answered from
   * `features`, `notes` and `chat`: a handler object of your own.
   */
  handlers?: RouteGuideHandlers;
  /** Serve TLS (mTLS with `clientCa`); plaintext without. */
  tls?: ServerTls;
  /** Extra grpc-js server options, applied over those from `limits`. */
  channelOptions?: Record<string, string | number>;
  /** Limits; unset ones take {@link DEFAULT_LIMITS}. */
  limits?: Partial<ServerLimits>;
  /** Writes the access log (one line per call) and internal errors when set. */
  logger?: Logger;
  /**
   * Whether `logger` gets the access log (default true). False keeps the
   * logger for errors; the access log's interceptor is then not installed.
   */
  accessLog?: boolean;
  /**
   * Shared bearer token: calls without `authorization: Bearer <token>`
   * fail with UNAUTHENTICATED; health checks stay open.
   */
  token?: string;
  /** Serve `grpc.health.v1.Health` (default true). */
  health?: boolean;
  /** Serve gRPC server reflection (default true). */
  reflection?: boolean;
}

/**
 * A running RouteGuide server.
 *
 * @example Stopping a server
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouteGuideClient, RouteGuideError, startServer, Status } from "../../mod.ts";
 * const server = await startServer({ host: "127.0.0.1", port: 0 });
 * assert.match(server.address, /^127\.0\.0\.1:\d+$/);
 * await server.close(1_000);
 * const client = new RouteGuideClient(server.address);
 * try {
 *   await assert.rejects(
 *     client.getFeature({ latitude: 1, longitude: 1 }, { timeoutMs: 2_000 }),
 *     (error) => error instanceof RouteGuideError && error.code === Status.UNAVAILABLE,
 *   );
 * } finally {
 *   client.close();
 * }
 * ```
 */
export interface RouteGuideServer {
  /** The port actually bound. */
  readonly port: number;
  /** `host:port` as bound, for clients to dial. */
  readonly address: string;
  /**
   * Stops taking calls (health turns NOT_SERVING first), gives calls in
   * flight up to `graceMs` (default 5 s) to finish, then ends the rest with
   * UNAVAILABLE ("the server shut down before the call finished") and cuts
   * the connections still open half a second later. Resolves once stopped.
   */
  close(graceMs?: number): Promise<void>;
}

function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** What grpc-js's private map of listening http2 servers is used for here. */
interface Listener {
  maxConnections: number;
  on(event: "connection" | "secureConnection", fn: (s: Socket) => void): void;
  on(event: "tlsClientError", fn: (e: Error, s: PeerSocket) => void): void;
}

/** A socket's peer; Deno's TLS socket keeps it on its TCP `_parent`. */
interface PeerSocket {
  remoteAddress?: string;
  remotePort?: number;
  _parent?: PeerSocket;
}

/**
 * Starts a RouteGuide server and resolves once it listens.
 *
 * @example Serving a database of places
 * ```ts
 * import assert from "node:assert/strict";
 * import { FeatureDatabase, pointFromDegrees, RouteGuideClient, startServer } from "../../mod.ts";
 * const paris = pointFromDegrees(48.8566, 2.3522);
 * const server = await startServer({
 *   host: "127.0.0.1",
 *   port: 0, // any free port: see server.address
 *   features: new FeatureDatabase([{ name: "Paris", location: paris }]),
 * });
 * const client = new RouteGuideClient(server.address);
 * try {
 *   assert.equal((await client.getFeature(paris)).name, "Paris");
 * } finally {
 *   client.close();
 *   await server.close();
 * }
 * ```
 */
export async function startServer(
  options: ServerOptions = {},
): Promise<RouteGuideServer> {
  const host = options.host ?? "localhost";
  const notes: NoteBoard = options.notes ?? new MemoryNoteBoard(options.chat);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const handlers = options.handlers ?? createRouteGuide({
    features: options.features ?? new FeatureDatabase([]),
    notes,
    chat: options.chat,
  });
  const outbound = new OutboundBudget(limits);
  // grpc-js wraps the transport's call in the first interceptor first.
  // The outbound budget goes next to the transport, where messages are
  // written and where a call that has ended can let go of all the others;
  // the access log next, so that it sees statuses the others send.
  const interceptors: grpc.ServerInterceptor[] = [outbound.interceptor()];
  if (options.logger && (options.accessLog ?? true)) {
    interceptors.push(accessLogInterceptor(options.logger));
  }
  if (options.token !== undefined) {
    interceptors.push(bearerTokenInterceptor(options.token));
  }
  // Outermost, so that the status close() sends passes the access log.
  const running = new Set<RunningCall>();
  interceptors.push((_method, call) =>
    asInterceptedCall(new RunningCall(call, running))
  );
  const grpcServer = new grpc.Server({
    ...grpcOptionsFor(limits),
    ...options.channelOptions,
    interceptors,
  });
  const report = options.logger &&
    ((method: string, error: unknown) =>
      options.logger!.error("internal error", {
        method,
        error: error instanceof Error ? error.stack : String(error),
      }));
  grpcServer.addService(
    routeGuideServerDefinition,
    toGrpcImplementation(handlers, report),
  );
  let health: HealthStatus | undefined;
  if (options.health ?? true) {
    health = addHealthService(grpcServer);
    // RouteChat needs the note board: while its store (Redis) is out of
    // reach, RouteGuide reports NOT_SERVING; the server itself stays up.
    if (notes.healthy === false) health.setServing(false, SERVICE_NAME);
  }
  const unwatchNotes = notes.onHealthChange?.((ok) => {
    health?.setServing(ok, SERVICE_NAME);
    // The operator sees the store drop and come back, once each.
    if (ok) {
      options.logger?.info("note board back: RouteChat available again");
    } else {
      options.logger?.warn(
        "note board unavailable: RouteChat answers UNAVAILABLE until it is back",
      );
    }
  });
  if (options.reflection ?? true) {
    addReflectionService(grpcServer, options.health ?? true);
  }
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync(
      formatHostPort(host, options.port ?? 50051),
      serverCredentials(options.tls),
      (error, port) => error ? reject(error) : resolve(port),
    )
  );
  // Each connection costs memory however idle; grpc-js has no option for
  // how many it takes, so its listening sockets are told directly.
  const listeners = (grpcServer as unknown as {
    http2Servers: Map<Listener, unknown>;
  }).http2Servers;
  for (const listener of listeners.keys()) {
    listener.maxConnections = limits.maxConnections;
    // The socket that HTTP/2 reads (with TLS, the TLS one) is paced.
    const paced = options.tls ? "secureConnection" : "connection";
    listener.on(paced, (socket) => outbound.pace(socket));
    // grpc-js ignores failed TLS handshakes; they are the client's
    // configuration mistakes, which the operator should see.
    const logger = options.logger;
    if (options.tls && logger) {
      listener.on("tlsClientError", (error, socket) => {
        // Deno leaves the address on the TCP socket under the TLS one.
        const tcp = socket.remoteAddress ? socket : socket._parent;
        logger.warn("TLS handshake failed", {
          peer: `${tcp?.remoteAddress}:${tcp?.remotePort}`,
          reason: error.message,
        });
      });
    }
  }
  let closing: Promise<void> | undefined;
  const server: RouteGuideServer = {
    port,
    address: formatHostPort(host, port),
    close(graceMs = DEFAULT_GRACE_MS) {
      unwatchNotes?.();
      health?.setServing(false);
      closing ??= new Promise<void>((resolve) => {
        let timer: ReturnType<typeof setTimeout>;
        const stopped = () => {
          clearTimeout(timer);
          outbound.stop();
          resolve();
        };
        const cut = () => {
          grpcServer.forceShutdown();
          // grpc-js forgets its connections when channelz is off, so it
          // cannot close them; and Deno never reports a destroyed
          // connection closed, so tryShutdown would wait for good.
          outbound.closeAll();
          stopped();
        };
        timer = setTimeout(() => {
          // A cut connection tells its clients only "Call cancelled", as
          // if they had cancelled: each call still running is told why it
          // ends first, and the clients that read it close their calls.
          for (const call of running) {
            call.sendStatus({
              code: Status.UNAVAILABLE,
              details: SHUT_DOWN,
            });
          }
          timer = setTimeout(cut, CUT_AFTER_MS);
        }, graceMs);
        grpcServer.tryShutdown(stopped);
      });
      return closing;
    },
  };
  budgets.set(server, outbound);
  return server;
}

// Each server's budget, for a web port that shares it (`shareLimitsWith`).
const budgets = new WeakMap<RouteGuideServer, OutboundBudget>();

/** The budget of calls and unsent answers that `server` enforces. */
export function budgetOf(server: RouteGuideServer): OutboundBudget | undefined {
  return budgets.get(server);
}
