/**
 * Structured logging on pino: one line per event, as text or JSON, filtered
 * by level, written synchronously so that no line is lost when the process
 * exits straight after logging (as the server does on shutdown).
 *
 * @module
 */
import pino from "pino";

/**
 * Log levels, least to most severe.
 *
 * @example
 * ```ts
 * import { LOG_LEVELS } from "./log.ts";
 * LOG_LEVELS.includes("info"); // true
 * ```
 */
export const LOG_LEVELS: readonly LogLevel[] = [
  "debug",
  "info",
  "warn",
  "error",
];
/**
 * A log level: `debug`, `info`, `warn` or `error`.
 *
 * @example
 * ```ts
 * import type { LogLevel } from "./log.ts";
 * const level: LogLevel = "warn";
 * ```
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
/**
 * Log line formats.
 *
 * @example
 * ```ts
 * import { LOG_FORMATS } from "./log.ts";
 * LOG_FORMATS.includes("json"); // true
 * ```
 */
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];
/**
 * A log line format: `text` (key=value) or `json` (one object a line).
 *
 * @example
 * ```ts
 * import type { LogFormat } from "./log.ts";
 * const format: LogFormat = "json";
 * ```
 */
export type LogFormat = "text" | "json";

/**
 * Structured fields of a log line.
 *
 * @example
 * ```ts
 * import type { LogFields } from "./log.ts";
 * const fields: LogFields = { method: "/routeguide.RouteGuide/GetFeature", ms: 0.4 };
 * ```
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

/**
 * Writes log lines; lines below the logger's level are dropped.
 *
 * @example
 * ```ts
 * import type { Logger } from "./log.ts";
 * const quiet: Logger = {
 *   debug() {},
 *   info() {},
 *   warn() {},
 *   error: (message, fields) => console.error(message, fields),
 * };
 * ```
 */
export interface Logger {
  /** Logs at `debug`. */
  debug(message: string, fields?: LogFields): void;
  /** Logs at `info`. */
  info(message: string, fields?: LogFields): void;
  /** Logs at `warn`. */
  warn(message: string, fields?: LogFields): void;
  /** Logs at `error`. */
  error(message: string, fields?: LogFields): void;
}

/**
 * How a {@link createLogger} logger formats and filters.
 *
 * @example
 * ```ts
 * import type { LoggerOptions } from "./log.ts";
 * const lines: string[] = [];
 * const options: LoggerOptions = { format: "json", level: "info", write: (line) => lines.push(line) };
 * ```
 */
export interface LoggerOptions {
  /** Line format (default `text`). */
  format?: LogFormat;
  /** Lowest level written (default `info`). */
  level?: LogLevel;
  /** Where lines go, one call per line without its newline (default: stdout). */
  write?: (line: string) => void;
  /** The clock, for tests (default: `new Date()`). */
  now?: () => Date;
}

/** A value that needs no quotes in a text line. */
const BARE = /^[^\s"=]+$/;

function textValue(value: unknown): string {
  const text = String(value);
  return BARE.test(text) ? text : JSON.stringify(text);
}

/**
 * A pino destination that writes `TIME LEVEL message key=value ...` from
 * the record pino sets on it as metadata (`lastLevel`, `lastMsg`,
 * `lastObj`), so that text lines need no parsing of pino's JSON.
 */
class TextDestination {
  readonly [pino.symbols.needsMetadataGsym] = true;
  lastLevel = 0;
  lastMsg = "";
  lastObj: Record<string, unknown> = {};
  #write: (line: string) => void;
  #now: () => Date;

  constructor(write: (line: string) => void, now: () => Date) {
    this.#write = write;
    this.#now = now;
  }

  write(_json: string): void {
    let line = `${this.#now().toISOString()} ${
      pino.levels.labels[this.lastLevel].toUpperCase()
    } ${this.lastMsg}`;
    for (const key in this.lastObj) {
      const value = this.lastObj[key];
      if (value !== undefined) line += ` ${key}=${textValue(value)}`;
    }
    this.#write(line);
  }
}

/**
 * Creates a logger. Text lines read `TIME LEVEL message key=value ...`
 * (values with spaces or quotes are JSON-quoted); JSON lines are
 * `{"level":..,"time":..,...fields,"msg":..}` (pino's layout). Undefined
 * fields are left out.
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * const lines: string[] = [];
 * const log = createLogger({ format: "json", write: (l) => lines.push(l) });
 * log.info("started", { port: 50051 });
 * log.debug("dropped: below info");
 * JSON.parse(lines[0]).port; // 50051
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const { write, now } = options;
  // Synchronous stdout: pino's asynchronous modes buffer (or use worker
  // threads) and would drop the lines logged just before Deno.exit.
  const stdout = write ? undefined : pino.destination({ dest: 1, sync: true });
  const level = options.level ?? "info";
  const logger = options.format === "json"
    ? pino(
      {
        level,
        base: null,
        timestamp: now
          ? () => `,"time":"${now().toISOString()}"`
          : pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      write ? { write: (json) => write(json.slice(0, -1)) } : stdout!,
    )
    : pino(
      { level, base: null, timestamp: false },
      new TextDestination(
        write ?? ((line) => stdout!.write(`${line}\n`)),
        now ?? (() => new Date()),
      ),
    );
  return {
    debug: (message, fields) => logger.debug(fields, message),
    info: (message, fields) => logger.info(fields, message),
    warn: (message, fields) => logger.warn(fields, message),
    error: (message, fields) => logger.error(fields, message),
  };
}
