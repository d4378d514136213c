/**
 * A small structured logger: one line per event, as text or JSON, filtered
 * by level. Small enough that an npm logger would not pay for itself here
 * (pino, for one, wants worker threads for its transports).
 *
 * @module
 */

/** Log levels, least to most severe. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** A log level: `debug`, `info`, `warn` or `error`. */
export type LogLevel = typeof LOG_LEVELS[number];
/** Log line formats. */
export const LOG_FORMATS = ["text", "json"] as const;
/** A log line format: `text` (key=value) or `json` (one object a line). */
export type LogFormat = typeof LOG_FORMATS[number];

/** Structured fields of a log line. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Writes log lines; lines below the logger's level are dropped. */
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

/** How a {@link createLogger} logger formats and filters. */
export interface LoggerOptions {
  /** Line format (default `text`). */
  format?: LogFormat;
  /** Lowest level written (default `info`). */
  level?: LogLevel;
  /** Where lines go (default: `console.log`). */
  write?: (line: string) => void;
  /** The clock, for tests (default: `new Date()`). */
  now?: () => Date;
}

function textValue(value: string | number | boolean): string {
  const text = String(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/**
 * Creates a logger. Text lines read `TIME LEVEL message key=value ...`
 * (values with spaces or quotes are JSON-quoted); JSON lines are
 * `{"time":..,"level":..,"msg":..,...fields}`. Undefined fields are left out.
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
  const format = options.format ?? "text";
  const minimum = LOG_LEVELS.indexOf(options.level ?? "info");
  const write = options.write ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => new Date());

  function log(level: LogLevel, message: string, fields: LogFields = {}) {
    if (LOG_LEVELS.indexOf(level) < minimum) return;
    const time = now().toISOString();
    const defined = Object.entries(fields).filter(
      (entry): entry is [string, string | number | boolean] =>
        entry[1] !== undefined,
    );
    if (format === "json") {
      write(JSON.stringify({
        time,
        level,
        msg: message,
        ...Object.fromEntries(defined),
      }));
    } else {
      const pairs = defined.map(([key, value]) =>
        ` ${key}=${textValue(value)}`
      );
      write(`${time} ${level.toUpperCase()} ${message}${pairs.join("")}`);
    }
  }

  return {
    debug: (message, fields) => log("debug", message, fields),
    info: (message, fields) => log("info", message, fields),
    warn: (message, fields) => log("warn", message, fields),
    error: (message, fields) => log("error", message, fields),
  };
}
