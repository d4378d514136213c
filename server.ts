/**
 * `deno task serve`: runs a RouteGuide server. The flags and `--help` are
 * declared in lib/cli/server_flags.ts; this file wires the pieces: logger,
 * worker processes, features, note board, server and signals.
 *
 * @module
 */
import { createLogger, LOG_LEVELS } from "./lib/grpc/log.ts";
import { FeatureDatabase } from "./lib/domain/features.ts";
import { createRouteGuide } from "./lib/domain/service.ts";
import {
  isWorker,
  startWorkers,
  workerId,
  workerReady,
} from "./lib/cli/workers.ts";
import { parseServerArgs } from "./lib/cli/server_flags.ts";
import {
  connectNotes,
  denoWarning,
  listen,
  listenWeb,
  loadFeatures,
  loadSecurity,
  startFailure,
} from "./lib/cli/serve.ts";

function fail(message: string): never {
  console.error(`routeguide server: ${message}`);
  Deno.exit(2);
}

/** `work`'s result; a failure the user can fix ends the process in one line. */
async function orFail<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const message = startFailure(error);
    if (message === undefined) throw error;
    fail(message);
  }
}

const settings = await orFail(() => parseServerArgs(Deno.args));
if ("help" in settings) {
  console.log(settings.help);
  Deno.exit(0);
}
const { host, graceMs, workers } = settings;
// Under --workers every process writes to the one stdout: whole lines,
// each worker's tagged with its number.
const logger = createLogger({
  format: settings.logFormat,
  level: settings.logLevel,
  fields: workerId === undefined ? undefined : { worker: workerId },
  shared: workers > 1,
});
// The listening line is a status line, not a log line: it prints at
// every --log-level (a supervisor or a user waits for it).
const status = LOG_LEVELS.indexOf(settings.logLevel) >
    LOG_LEVELS.indexOf("info")
  ? createLogger({ format: settings.logFormat })
  : logger;
function announce(message: string, fields?: Record<string, string | boolean>) {
  status.info(message, fields);
  status.flush?.();
}
// A terminal's Ctrl-C reaches both `deno task` (which passes it on) and
// this process, and a worker gets the primary's SIGTERM too: act once.
function onStopSignal(stop: (signal: string) => void): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      if (stopping) return;
      stopping = true;
      stop(signal);
    });
  }
}
const { tls, token } = await orFail(() => loadSecurity(settings));

const warning = denoWarning(Deno.version.deno);
if (warning && !isWorker) console.error(`routeguide server: ${warning}`);

if (workers > 1 && !isWorker) {
  // The primary only checks Redis (one clear line if it is down), forks
  // and waits: the workers load features and serve. Its few lines go out
  // at once, to keep their place among the workers' lines.
  const say = (level: "info" | "warn", message: string) => {
    logger[level](message);
    logger.flush?.();
  };
  await (await orFail(() => connectNotes(settings))).close(); // reachability only
  let pool;
  try {
    pool = await startWorkers(workers, say);
  } catch (error) {
    fail((error as Error).message);
  }
  const bound = host.includes(":") ? `[${host}]` : host;
  announce(
    `RouteGuide server listening on ${bound}:${pool.port} with ${workers} workers`,
    {
      web: settings.webPort === undefined
        ? "off"
        : `${tls ? "https" : "http"}://${bound}:${settings.webPort}`,
    },
  );
  const running = pool;
  const stop = async (signal: string) => {
    say("info", `${signal}: shutting down ${workers} workers`);
    await running.close(graceMs + 5_000);
    say("info", "RouteGuide server stopped");
    Deno.exit(0);
  };
  onStopSignal(stop);
  // The workers keep this process alive; nothing below runs here.
  await new Promise(() => {});
}

const features = new FeatureDatabase(
  await orFail(() => loadFeatures(settings)),
);
const notes = await orFail(() => connectNotes(settings));
// One service for both ports: one note board, one count of chats.
const handlers = createRouteGuide({ features, notes, chat: settings.chat });
// The access log is at info: above that, no interceptor at all.
const accessLog = LOG_LEVELS.indexOf(settings.logLevel) <=
  LOG_LEVELS.indexOf("info");
const common = { host, handlers, tls, token, limits: settings.limits, logger };
const server = await orFail(() =>
  listen({ ...common, port: settings.port, notes, accessLog })
);
const webPort = settings.webPort;
const web = webPort === undefined ? undefined : await orFail(() =>
  // Workers bind the one web port each; the kernel spreads connections.
  listenWeb({
    ...common,
    port: webPort,
    accessLog,
    reusePort: isWorker,
    // One budget for both ports: calls at once, answer bytes held unsent.
    shareLimitsWith: server,
  })
);
async function shutdown(signal: string): Promise<void> {
  logger.info(`${signal}: shutting down (grace ${graceMs / 1000} s)`);
  // Whatever a client or the note board's store does, the process ends a
  // second after the grace period.
  setTimeout(() => {
    logger.flush?.();
    Deno.exit(0);
  }, graceMs + 1_000);
  await Promise.all([server.close(graceMs), web?.close(graceMs)]);
  await notes.close();
  logger.info("RouteGuide server stopped");
  logger.flush?.(); // the logger batches stdout writes
  Deno.exit(0);
}
onStopSignal(shutdown);
// Announce the address only once a signal would shut down gracefully: a
// supervisor may signal as soon as it sees this line. With --workers the
// primary prints the one listening line for all, once all are ready.
if (isWorker) {
  logger.flush?.();
  workerReady();
} else {
  announce(
    `RouteGuide server listening on ${server.address} with ${features.size} feature${
      features.size === 1 ? "" : "s"
    }`,
    {
      tls: settings.tls?.clientCa !== undefined ? "mtls" : tls !== undefined,
      auth: token !== undefined ? "bearer" : "none",
      web: web?.url ?? "off",
    },
  );
}
