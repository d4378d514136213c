/**
 * Structured logging: one line per event, as text or JSON (on pino),
 * filtered by level. Lines for stdout (or another output) are buffered and
 * written in batches (one synchronous write per 64 KiB or per 50 ms, and at
 * exit), because one write per line cost the access log more than the call
 * it logs; `flush()` writes what is held, for a process about to
 * `Deno.exit`.
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
  /**
   * Writes out lines held in a buffer, if the logger has one: call it
   * before `Deno.exit` so that the last lines are not lost.
   */
  flush?(): void;
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
  /**
   * Where lines go, one call per line without its newline, synchronously
   * (default: stdout, buffered).
   */
  write?: (line: string) => void;
  /**
   * Where lines go, in batches, when `write` is not given (default:
   * `Deno.stdout`).
   */
  output?: LogOutput;
  /** The clock, for tests (default: `new Date()`). */
  now?: () => Date;
}

/**
 * What a logger writes its batches of lines to, synchronously:
 * `Deno.stdout`, `Deno.stderr` or an open file.
 *
 * @example
 * ```ts ignore
 * import { createLogger, type LogOutput } from "./log.ts";
 * const output: LogOutput = Deno.stderr;
 * const log = createLogger({ output });
 * ```
 */
export interface LogOutput {
  /** Writes some of `bytes`, returning how many. */
  writeSync(bytes: Uint8Array): number;
}

/** A value that needs no quotes in a text line. */
const BARE = /^[^\s"=]+$/;

let isoMs = 0;
let iso = "";
/**
 * The time as an ISO string, made once per millisecond: at thousands of
 * access-log lines a second, most lines share their millisecond.
 */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    iso = new Date(ms).toISOString();
  }
  return iso;
}

/** Bytes held before a write: about 500 GetFeature access-log lines. */
const BATCH_BYTES = 65_536;
/** How long a line may wait for a batch to fill. */
const BATCH_MS = 50;
/** Numbers below this are written digit by digit, exactly as `String` would. */
const DIGITS_BELOW = 1e14;

/**
 * Log lines made straight into one reused buffer of bytes, and written to
 * the output (stdout by default) in batches: one synchronous write when the
 * buffer is full, BATCH_MS after the first line held, on `flush()` and when
 * the process unloads. Synchronous writes keep the order with other output
 * and never drop; a line cut by a full buffer is written in two parts, in
 * order.
 *
 * Text lines are written byte by byte (`line`): ASCII a character at a
 * time, small numbers a digit at a time, so that a line makes no string at
 * all. An access-log line is made on every call: made as a string and
 * encoded, it cost nearly twice as much (0.62 -> 0.34 us per line).
 * Given a `sink`, each line is passed on as a string instead (for tests and
 * for callers that take lines themselves).
 */
class LineBuffer {
  readonly #buffer = new Uint8Array(BATCH_BYTES);
  #used = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #encoder = new TextEncoder();
  readonly #sink: ((line: string) => void) | undefined;
  readonly #output: LogOutput;
  readonly #decoder = new TextDecoder();
  /** A sink's line so far, when it was longer than the buffer. */
  #pending = "";

  constructor(sink: ((line: string) => void) | undefined, output: LogOutput) {
    this.#sink = sink;
    this.#output = output;
    // Runs on Deno.exit and on a natural end of the event loop.
    if (!sink) globalThis.addEventListener("unload", () => this.flush());
  }

  /** Holds `text`, which ends in a newline (pino's JSON lines). */
  write(text: string): void {
    this.#text(text);
    this.#held();
  }

  /** Holds a text line, `TIME LEVEL message key=value ...`. */
  line(
    time: string,
    label: string,
    message: string,
    fields: LogFields | undefined,
  ): void {
    this.#text(time);
    this.#byte(0x20);
    this.#text(label);
    this.#byte(0x20);
    this.#text(message);
    for (const key in fields) {
      const value = fields[key];
      if (value === undefined) continue;
      this.#byte(0x20);
      this.#text(key);
      this.#byte(0x3d);
      if (typeof value === "number") this.#number(value);
      else this.#value(String(value));
    }
    if (this.#sink) {
      this.#sink(this.#pending + this.#decoder.decode(this.#taken()));
      this.#pending = "";
    } else {
      this.#byte(0x0a);
      this.#held();
    }
  }

  /** Writes out what is held. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#emit();
  }

  #held(): void {
    if (this.#timer === undefined) {
      const timer = setTimeout(() => this.flush(), BATCH_MS);
      // A pending batch must not keep the process alive (unload flushes).
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  /** The bytes held, no longer held. */
  #taken(): Uint8Array {
    const used = this.#used;
    this.#used = 0;
    return this.#buffer.subarray(0, used);
  }

  /** Passes on the bytes held: to the output, or to the sink's line so far. */
  #emit(): void {
    if (this.#used === 0) return;
    if (this.#sink) {
      this.#pending += this.#decoder.decode(this.#taken(), { stream: true });
    } else this.#writeOut(this.#taken());
  }

  #writeOut(bytes: Uint8Array): void {
    while (bytes.length > 0) {
      bytes = bytes.subarray(this.#output.writeSync(bytes));
    }
  }

  /** Makes room for `bytes` more, passing on what is held if need be. */
  #room(bytes: number): void {
    if (this.#used + bytes > BATCH_BYTES) this.#emit();
  }

  #byte(byte: number): void {
    this.#room(1);
    this.#buffer[this.#used++] = byte;
  }

  #text(text: string): void {
    const length = text.length;
    if (length > BATCH_BYTES) return this.#encoded(text);
    this.#room(length);
    const buffer = this.#buffer;
    let used = this.#used;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0x7f) {
        this.#used = used;
        return this.#encoded(text.slice(i));
      }
      buffer[used++] = code;
    }
    this.#used = used;
  }

  /** Text that may not be ASCII: a UTF-16 unit takes at most 3 bytes. */
  #encoded(text: string): void {
    this.#room(text.length * 3);
    if (text.length * 3 <= BATCH_BYTES) {
      this.#used += this.#encoder.encodeInto(
        text,
        this.#buffer.subarray(this.#used),
      ).written;
    } else if (this.#sink) {
      this.#emit();
      this.#pending += text;
    } else {
      this.#emit();
      this.#writeOut(this.#encoder.encode(text));
    }
  }

  /** A string value: as it is when bare, else JSON-quoted. */
  #value(text: string): void {
    const length = text.length;
    if (length > 0 && length <= BATCH_BYTES) {
      this.#room(length);
      // Printable ASCII but for space, '"' and '=': bare, copied as it is.
      const buffer = this.#buffer;
      let used = this.#used;
      let i = 0;
      for (; i < length; i++) {
        const code = text.charCodeAt(i);
        if (code <= 0x20 || code >= 0x7f || code === 0x22 || code === 0x3d) {
          break;
        }
        buffer[used++] = code;
      }
      if (i === length) {
        this.#used = used;
        return;
      }
    }
    this.#text(BARE.test(text) ? text : JSON.stringify(text));
  }

  /** A number as `String` writes it: small integers and tenths by digit. */
  #number(value: number): void {
    const tenths = Math.round(value * 10);
    if (tenths / 10 !== value || !(Math.abs(tenths) < DIGITS_BELOW * 10)) {
      return this.#text(String(value));
    }
    const magnitude = Math.abs(tenths);
    if (tenths < 0) this.#byte(0x2d);
    this.#digits(Math.floor(magnitude / 10));
    const tenth = magnitude % 10;
    if (tenth !== 0) {
      this.#byte(0x2e);
      this.#byte(0x30 + tenth);
    }
  }

  /** A non-negative integer, in decimal. */
  #digits(n: number): void {
    let length = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) length++;
    this.#room(length);
    const buffer = this.#buffer;
    let at = this.#used + length;
    this.#used = at;
    do {
      buffer[--at] = 0x30 + n % 10;
      n = Math.floor(n / 10);
    } while (n > 0);
  }
}

/**
 * Text lines, `TIME LEVEL message key=value ...`, made straight from the
 * fields. Not through pino: pino builds a JSON line for every record
 * whatever its destination, which made a text access-log line cost
 * about 3.5 us more per call (measured on GetFeature).
 */
function textLogger(
  level: LogLevel,
  lines: LineBuffer,
  now: () => string,
): Logger {
  // pino's numbers for the levels, so that both formats filter alike.
  const { values } = pino.levels;
  const at = (name: LogLevel): Logger["info"] => {
    if (values[name] < values[level]) return () => {};
    const label = name.toUpperCase();
    return (message, fields) => lines.line(now(), label, message, fields);
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    flush: () => lines.flush(),
  };
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
  const { write, now, output = Deno.stdout } = options;
  const level = options.level ?? "info";
  if (options.format !== "json") {
    return textLogger(
      level,
      new LineBuffer(write, output),
      now ? () => now().toISOString() : isoNow,
    );
  }
  // Our own batching rather than pino's asynchronous destination (sonic-boom
  // with sync: false): its writes go through node:fs callbacks, so a line
  // logged just before Deno.exit could still be in flight.
  const batches = write ? undefined : new LineBuffer(undefined, output);
  const logger = pino(
    {
      level,
      base: null,
      timestamp: now
        ? () => `,"time":"${now().toISOString()}"`
        : pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    write ? { write: (json) => write(json.slice(0, -1)) } : batches!,
  );
  return {
    debug: (message, fields) => logger.debug(fields, message),
    info: (message, fields) => logger.info(fields, message),
    warn: (message, fields) => logger.warn(fields, message),
    error: (message, fields) => logger.error(fields, message),
    flush: () => batches?.flush(),
  };
}
