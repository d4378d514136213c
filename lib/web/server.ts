/**
 * The web port: `Deno.serve` (HTTP/1.1 and h2c, or TLS) serving the four
 * RouteGuide methods over Connect and gRPC-Web (binary and JSON) through
 * connect-es's router, the page (`page.ts`) and the WebSocket streams
 * (`websocket.ts`), all from the same `RouteGuideHandlers` as the gRPC
 * port, with its token, message size limit and access log.
 *
 * @module
 */
import {
  Code,
  ConnectError,
  createConnectRouter,
  createContextValues,
} from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { SHUT_DOWN, Status } from "../domain/errors.ts";
import type { RouteGuideHandlers } from "../domain/handlers.ts";
import { RouteGuide } from "../gen/es/route_guide_pb.ts";
import { logCall } from "../grpc/access_log.ts";
import { bearerTokenMatcher } from "../grpc/auth.ts";
import type { ServerTls } from "../grpc/credentials.ts";
import { DEFAULT_LIMITS, type ServerLimits } from "../grpc/limits.ts";
import type { Logger } from "../grpc/log.ts";
import { OutboundBudget } from "../grpc/outbound.ts";
import { budgetOf, type RouteGuideServer } from "../grpc/server.ts";
import { overCalls } from "../grpc/outbound_call.ts";
import {
  toConnectImplementation,
  WEB_CALL,
  type WebCall,
} from "./connect_service.ts";
import {
  fastGetFeature,
  fastListFeatures,
  GET_FEATURE_PATH,
  LIST_FEATURES_PATH,
} from "./fast_paths.ts";
import { pageResponse } from "./page.ts";
import {
  chunksOf,
  type Ending,
  type Open,
  settle,
  toFetchResponse,
} from "./responses.ts";
import { isWebSocketCall, serveWebSocketCall } from "./websocket.ts";

/**
 * How to start the web port.
 *
 * @example
 * ```ts
 * import type { WebServerOptions } from "./server.ts";
 * const options: Partial<WebServerOptions> = { host: "127.0.0.1", port: 0 };
 * ```
 */
export interface WebServerOptions {
  /** The service to serve: the same object the gRPC port serves. */
  handlers: RouteGuideHandlers;
  /** Host to bind (default `localhost`). */
  host?: string;
  /** Port to bind; 0 picks a free one (default 8080). */
  port?: number;
  /** Serve HTTPS (HTTP/2 by ALPN); client certificates are not supported. */
  tls?: ServerTls;
  /** Require `Authorization: Bearer <token>` (a WebSocket: its subprotocol). */
  token?: string;
  /**
   * Limits; the web port enforces `maxReceiveMessageBytes`, the outbound
   * window and `keepaliveTimeoutMs` (WebSockets), and its budget the rest it
   * can (docs/operations.md).
   */
  limits?: Partial<ServerLimits>;
  /**
   * A gRPC server whose limits on calls at once and on answer bytes held
   * unsent count this port's calls too (one budget for both ports); else
   * the web port has its own, from `limits`.
   */
  shareLimitsWith?: RouteGuideServer;
  /** Writes the access log and internal errors when set. */
  logger?: Logger;
  /** Whether `logger` gets the access log (default true). */
  accessLog?: boolean;
  /**
   * Let several processes bind the port, the kernel balancing connections
   * (Linux; an unstable Deno API: `--unstable-net`, as deno.json sets).
   */
  reusePort?: boolean;
}

/**
 * A running web port.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startWebServer } from "./server.ts";
 * import { createRouteGuide } from "../domain/service.ts";
 * import { FeatureDatabase } from "../domain/features.ts";
 * import { MemoryNoteBoard } from "../domain/memory_notes.ts";
 * const handlers = createRouteGuide({ features: new FeatureDatabase([]), notes: new MemoryNoteBoard() });
 * const web = await startWebServer({ handlers, host: "127.0.0.1", port: 0 });
 * const response = await fetch(`${web.url}/routeguide.RouteGuide/GetFeature`, {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ latitude: 1, longitude: 2 }),
 * });
 * // An unnamed feature: JSON leaves out the empty name.
 * assert.deepEqual(await response.json(), { location: { latitude: 1, longitude: 2 } });
 * await web.close();
 * ```
 */
export interface WebServer {
  /** The port actually bound. */
  readonly port: number;
  /** `host:port` as bound. */
  readonly address: string;
  /** `http://host:port` (or `https://`), for browsers and Connect clients. */
  readonly url: string;
  /**
   * Stops taking calls, gives those in flight up to `graceMs` (default 5 s)
   * to finish, then ends the rest. Resolves once stopped.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts the web port and resolves once it listens.
 *
 * @example
 * ```ts ignore
 * const web = await startWebServer({ handlers, port: 8080 });
 * ```
 */
export async function startWebServer(
  options: WebServerOptions,
): Promise<WebServer> {
  if (options.tls?.clientCa) {
    throw new Error(
      "the web port cannot require client certificates (Deno.serve does not verify them)",
    );
  }
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const shared = options.shareLimitsWith &&
    budgetOf(options.shareLimitsWith);
  const budget = shared || new OutboundBudget(limits);
  const logger = options.logger;
  const accessLog = logger && (options.accessLog ?? true) ? logger : undefined;
  const report = (method: string, error: unknown) =>
    logger?.error("internal error", {
      method,
      error: error instanceof Error ? error.stack : String(error),
    });
  const authorized = options.token === undefined
    ? undefined
    : bearerTokenMatcher(options.token);
  const shutdown = new AbortController();
  let pastGrace = false;
  const open = new Set<Open>();
  // Deno.serve closes WebSockets (1001) as soon as it stops: ours end
  // first, saying why, and it stops once they have closed (or after 1 s).
  const webSockets = new Set<() => Promise<void>>();

  const router = createConnectRouter({
    grpc: false, // native gRPC is the gRPC port's
    readMaxBytes: limits.maxReceiveMessageBytes,
    shutdownSignal: shutdown.signal,
    requestGate(context) {
      const call = context.values.get(WEB_CALL);
      if (call) call.context = context;
      if (call?.refused) {
        throw new ConnectError(call.refused, Code.ResourceExhausted);
      }
      if (
        authorized && !authorized(context.requestHeader.get("authorization"))
      ) {
        throw new ConnectError(
          "missing or wrong bearer token in the authorization header",
          Code.Unauthenticated,
        );
      }
    },
  }).service(RouteGuide, toConnectImplementation(options.handlers, report));
  const routes = new Map<string, UniversalHandler>(
    router.handlers.map((handler) => [handler.requestPath, handler]),
  );

  const fastOptions = {
    handlers: options.handlers,
    authorized,
    maxReceiveMessageBytes: limits.maxReceiveMessageBytes,
    report,
    budget,
  };
  const webSocketOptions = {
    handlers: options.handlers,
    authorized,
    limits,
    budget,
    report,
    log: (call: WebCall) => accessLog && logCall(accessLog, call),
    open: webSockets,
  };

  async function handle(
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ): Promise<Response> {
    const page = pageResponse(request);
    if (page !== undefined) return page;
    const url = request.url;
    const start = url.indexOf("/", url.indexOf("//") + 2);
    const query = url.indexOf("?", start);
    const path = query < 0 ? url.slice(start) : url.slice(start, query);
    const handler = routes.get(path);
    if (handler === undefined) {
      return new Response("not found\n", { status: 404 });
    }
    const call: WebCall = {
      method: path,
      peer: `${info.remoteAddr.hostname}:${info.remoteAddr.port}`,
      code: Status.OK,
      start: performance.now(),
      received: 0,
      sent: 0,
    };
    if (isWebSocketCall(request)) {
      return serveWebSocketCall(
        request,
        handler.method,
        call,
        webSocketOptions,
      );
    }
    // A call past maxConcurrentCalls (both ports) is refused by
    // connect-es, in its protocol's words.
    const admitted = budget.admit();
    if (!admitted) call.refused = overCalls(budget.calls);
    let over = false;
    const ended = (httpStatus: number, ending: Ending) => {
      if (over) return;
      over = true;
      if (admitted) budget.ended();
      if (accessLog === undefined) return;
      settle(call, httpStatus, ending, pastGrace);
      logCall(accessLog, call);
    };
    const logged = (ending: Ending) => ended(200, ending);
    try {
      const fast = !admitted
        ? undefined
        : path === GET_FEATURE_PATH
        ? await fastGetFeature(request, call, fastOptions)
        : path === LIST_FEATURES_PATH
        ? await fastListFeatures(request, call, fastOptions, logged, open)
        : undefined;
      if (fast instanceof Response) {
        if (path === GET_FEATURE_PATH) logged("over");
        return fast;
      }
      const rpc = fast ?? request; // read by a fast path, or not
      // Not request.signal: Deno aborts it once a response has been sent,
      // as if the client had gone. A stream's client going away is seen as
      // its response being cancelled; a unary call is over before it
      // matters.
      const cancel = handler.method.methodKind === "unary"
        ? undefined
        : new AbortController();
      const response = await handler({
        httpVersion: "",
        method: rpc.method,
        url,
        header: rpc.headers,
        body: chunksOf(rpc.body),
        signal: cancel?.signal ?? shutdown.signal,
        contextValues: createContextValues().set(WEB_CALL, call),
      });
      return await toFetchResponse(
        response,
        (ending) => {
          if (ending !== "over") cancel?.abort();
          ended(response.status, ending);
        },
        open,
        budget,
      );
    } catch (error) {
      // Whatever failed, the call is over: its place is free again.
      ended(500, "over");
      throw error;
    }
  }

  const tls = options.tls && {
    cert: new TextDecoder().decode(options.tls.cert),
    key: new TextDecoder().decode(options.tls.key),
  };
  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: options.host ?? "localhost",
    port: options.port ?? 8080,
    reusePort: options.reusePort,
    ...tls,
    onListen: resolve,
    onError(error) {
      report("web", error);
      return new Response("internal error\n", { status: 500 });
    },
  }, handle);
  const bound = await listening;
  const host = bound.hostname.includes(":")
    ? `[${bound.hostname}]`
    : bound.hostname;
  const address = `${host}:${bound.port}`;
  let closing: Promise<void> | undefined;
  return {
    port: bound.port,
    address,
    url: `${tls ? "https" : "http"}://${address}`,
    close(graceMs = 5_000) {
      closing ??= new Promise<void>((resolve) => {
        const timers: ReturnType<typeof setTimeout>[] = [];
        const after = (ms: number, then: () => void) =>
          timers.push(setTimeout(then, ms));
        const stopped = () => {
          for (const timer of timers) clearTimeout(timer);
          if (!shared) budget.stop(); // its own
          resolve();
        };
        after(graceMs, () => {
          pastGrace = true;
          shutdown.abort(new ConnectError(SHUT_DOWN, Code.Unavailable));
          for (const end of open) end();
          // Deno waits for answers its clients have not read; not us.
          after(500, stopped);
        });
        const sockets = Promise.all([...webSockets].map((end) => end()));
        new Promise((closed) => {
          sockets.then(closed);
          after(1_000, () => closed(undefined));
        }).then(() => server.shutdown()).then(stopped);
      });
      return closing;
    },
  };
}
