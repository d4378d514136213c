/**
 * What `server.ts` does with its settings, apart from logging and signals:
 * loading TLS files and the token, connecting the note board, binding the
 * port, and telling a failure the user can fix (one line) from a bug.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { loadToken, TokenError } from "../grpc/auth.ts";
import {
  CredentialsError,
  loadServerTls,
  type ServerTls,
} from "../grpc/credentials.ts";
import {
  type RouteGuideServer,
  type ServerOptions,
  startServer,
} from "../grpc/server.ts";
import {
  FeatureFileError,
  loadFeatureFile,
  loadWorldCities,
} from "../domain/feature_files.ts";
import type { Feature } from "../domain/types.ts";
import type { NoteBoard } from "../domain/notes.ts";
import { MemoryNoteBoard } from "../domain/memory_notes.ts";
import { RedisNoteBoard } from "../domain/redis_notes.ts";
import {
  startWebServer,
  type WebServer,
  type WebServerOptions,
} from "../web/server.ts";
import { UsageError } from "./flags.ts";
import type { ServerSettings } from "./server_flags.ts";

/**
 * The one line for a failure the user can fix (a bad flag, file or
 * setting, a port in use, an unreachable Redis); undefined for anything
 * else, which is a bug and keeps its stack.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startFailure } from "./serve.ts";
 * import { UsageError } from "./flags.ts";
 * assert.equal(startFailure(new UsageError("--port must be ...")), "--port must be ...");
 * assert.equal(startFailure(new TypeError("oops")), undefined);
 * ```
 */
export function startFailure(error: unknown): string | undefined {
  const fixable = error instanceof UsageError ||
    error instanceof CredentialsError || error instanceof TokenError ||
    error instanceof FeatureFileError;
  return fixable ? error.message : undefined;
}

/**
 * The features `settings` name: the `--db` file, or the world's cities. A
 * file with no features is refused unless `allowEmptyDb`: a server that
 * finds nothing is more likely a wrong file than a wish.
 *
 * @example
 * ```ts ignore
 * import { loadFeatures } from "./serve.ts";
 * const features = await loadFeatures({ db: "db.json", allowEmptyDb: false });
 * ```
 */
export async function loadFeatures(
  settings: Pick<ServerSettings, "db" | "allowEmptyDb">,
): Promise<Feature[]> {
  if (settings.db === undefined) return loadWorldCities();
  const features = await loadFeatureFile(settings.db);
  if (features.length === 0 && !settings.allowEmptyDb) {
    throw new UsageError(
      `--db ${settings.db} holds no features; give a file with some, or --allow-empty-db to serve none`,
    );
  }
  return features;
}

/**
 * The TLS material and the token that `settings` name.
 *
 * @example
 * ```ts ignore
 * import { loadSecurity } from "./serve.ts";
 * const { tls, token } = await loadSecurity({ tls: { cert: "server.crt", key: "server.key" } });
 * ```
 */
export async function loadSecurity(
  settings: Pick<ServerSettings, "tls" | "tokenFile">,
): Promise<{ tls?: ServerTls; token?: string }> {
  return {
    tls: settings.tls && await loadServerTls(settings.tls),
    token: await loadToken(settings.tokenFile),
  };
}

/**
 * The note board `settings` ask for: this process's memory, or a Redis
 * (a UsageError naming `--notes` when it cannot be reached).
 *
 * @example
 * ```ts ignore
 * import { connectNotes } from "./serve.ts";
 * import { DEFAULT_ROUTE_CHAT_LIMITS } from "../domain/service.ts";
 * const notes = await connectNotes({ chat: DEFAULT_ROUTE_CHAT_LIMITS });
 * ```
 */
export async function connectNotes(
  settings: Pick<ServerSettings, "redisUrl" | "chat">,
): Promise<NoteBoard> {
  const { redisUrl, chat } = settings;
  if (redisUrl === undefined) return new MemoryNoteBoard(chat);
  try {
    return await RedisNoteBoard.connect({
      url: redisUrl,
      notesPerLocation: chat.notesPerLocation,
      maxLocations: chat.maxLocations,
    });
  } catch (error) {
    throw new UsageError(`--notes: ${(error as Error).message}`);
  }
}

/**
 * Starts the server; a port that cannot be bound is a UsageError saying
 * why in one line.
 *
 * @example
 * ```ts ignore
 * import { listen } from "./serve.ts";
 * const server = await listen({ host: "localhost", port: 50051 });
 * ```
 */
export async function listen(
  options: ServerOptions & { host: string; port: number },
): Promise<RouteGuideServer> {
  // grpc-js logs a failed bind itself before rejecting; the one line below
  // says it all, unless the user asked for grpc-js's logs.
  const quiet = !(Deno.env.get("GRPC_NODE_VERBOSITY") ??
    Deno.env.get("GRPC_VERBOSITY"));
  if (quiet) grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  try {
    return await startServer(options);
  } catch (error) {
    // "No address added out of total 1 resolved errors: [listen
    // EADDRINUSE...]": the bracketed causes are what the user needs.
    const message = (error as Error).message;
    const causes = message.match(/errors: \[(.*)\]$/)?.[1];
    throw new UsageError(
      `cannot listen on ${options.host}:${options.port}: ${causes || message}`,
    );
  } finally {
    if (quiet) grpc.setLogVerbosity(grpc.logVerbosity.ERROR);
  }
}

/**
 * Starts the web port; a port that cannot be bound is a UsageError saying
 * why in one line.
 *
 * @example
 * ```ts ignore
 * import { listenWeb } from "./serve.ts";
 * const web = await listenWeb({ handlers, host: "localhost", port: 8080 });
 * ```
 */
export async function listenWeb(
  options: WebServerOptions & { host: string; port: number },
): Promise<WebServer> {
  try {
    return await startWebServer(options);
  } catch (error) {
    if (
      !(error instanceof Deno.errors.AddrInUse) &&
      !(error instanceof Deno.errors.PermissionDenied) &&
      !(error instanceof Deno.errors.AddrNotAvailable)
    ) throw error;
    throw new UsageError(
      `cannot listen on ${options.host}:${options.port} (--web-port): ${
        (error as Error).message
      }`,
    );
  }
}

/** Deno versions whose node:http2 aborts after large server streams (denoland/deno#36788). */
const CRASHING_DENO = /^2\.9\.[4-6]$/;

/**
 * A warning for the Deno versions known to abort after large server
 * streams; undefined on others.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoWarning } from "./serve.ts";
 * assert.match(denoWarning("2.9.5")!, /denoland\/deno#36788/);
 * assert.equal(denoWarning("2.9.3"), undefined);
 * ```
 */
export function denoWarning(version: string): string | undefined {
  return CRASHING_DENO.test(version)
    ? `warning: Deno ${version} can abort after large server streams (denoland/deno#36788); use Deno 2.9.3`
    : undefined;
}
