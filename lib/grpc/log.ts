/**
 * Structured logging, for the server and its access log: one line per
 * event, as text or JSON, filtered by level. Lines for stdout (or another
 * output) are held and written in batches (one synchronous write per 64 Ki
 * characters or per 50 ms, and at exit), because one write per line cost
 * the access log more than the call it logs; `flush()` writes what is held,
 * for a process about to `Deno.exit`. Processes that share an output
 * (`--workers`) write whole lines, a pipe's atomic write at a time.
 *
 * @module
 */

/** Log levels, least to most severe. */
export const LOG_LEVELS: readonly LogLevel[] = [
  "debug",
  "info",
  "warn",
  "error",
];
/** A log level: `debug`, `info`, `warn` or `error`. */
export type LogLevel = "debug" | "info" | "warn" | "error";
/** Log line formats. */
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];
/** A log line format: `text` (key=value) or `json` (one object a line). */
export type LogFormat = "text" | "json";
/**
 * Structured fields of a log line; undefined ones are left out.
 *
 * @example Fields of a JSON line; undefined ones are left out
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLogger, type LogFields } from "./log.ts";
 * const written: string[] = [];
 * const logger = createLogger({ format: "json", write: (line) => void written.push(line) });
 * const fields: LogFields = { method: "/routeguide.RouteGuide/GetFeature", ms: 0.2, skipped: undefined };
 * logger.info("call", fields);
 * logger.flush?.();
 * const line = JSON.parse(written.join(""));
 * assert.equal(line.ms, 0.2);
 * assert.equal("skipped" in line, false);
 * ```
 */
export type LogFields = Record<string, string | number | boolean | undefined>;

/**
 * Writes log lines; lines below the logger's level are dropped. Any
 * object of this shape will do where a logger is taken.
 *
 * @example A logger of your own gets the access log
 * ```ts
 * import assert from "node:assert/strict";
 * import { type LogFields, type Logger, RouteGuideClient, startServer } from "../../mod.ts";
 * const lines: [string, LogFields | undefined][] = [];
 * const keep = (message: string, fields?: LogFields) => void lines.push([message, fields]);
 * const logger: Logger = { debug: keep, info: keep, warn: keep, error: keep };
 * const server = await startServer({ host: "127.0.0.1", port: 0, logger });
 * const client = new RouteGuideClient(server.address);
 * try {
 *   await client.getFeature({ latitude: 1, longitude: 1 });
 * } finally {
 *   client.close();
 *   await server.close();
 * }
 * const [message, fields] = lines[0];
 * assert.equal(message, "call");
 * assert.equal(fields?.method, "/routeguide.RouteGuide/GetFeature");
 * assert.equal(fields?.code, "OK");
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

/** How a {@link createLogger} logger formats, filters and writes. */
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
  /** Fields on every line, after the line's own (such as `worker`). */
  fields?: LogFields;
  /**
   * Whether other processes write to the same output (as `--workers`
   * do): batches are then written as whole lines, at most 4 KiB at a time,
   * which a pipe takes in one piece, so lines never mix mid-line.
   */
  shared?: boolean;
}

/**
 * What a logger writes its batches of lines to, synchronously:
 * `Deno.stdout`, `Deno.stderr` or an open file.
 */
export interface LogOutput {
  /** Writes some of `bytes`, returning how many. */
  writeSync(bytes: Uint8Array): number;
}

/** Characters held before a write: about 500 GetFeature access-log lines. */
const BATCH_CHARS = 65_536;
/** How long a line may wait for a batch to fill. */
const BATCH_MS = 50;
/** Bytes a pipe writes whole, never mixed with other writers' (PIPE_BUF). */
const PIPE_BUF = 4096;
/** A text value that needs no quotes. */
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

/** A line's fields, then `always` (the logger's own, formatted once). */
type Format = (
  time: string,
  label: string,
  message: string,
  fields: LogFields | undefined,
  always: string,
) => string;

/** ` key=value ...`, strings JSON-quoted if need be. */
function textFields(fields: LogFields | undefined): string {
  let text = "";
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined) continue;
    text += typeof value === "string" && !BARE.test(value)
      ? ` ${key}=${JSON.stringify(value)}`
      : ` ${key}=${value}`;
  }
  return text;
}

/** `,"key":value...`. */
function jsonFields(fields: LogFields | undefined): string {
  let text = "";
  for (const key in fields) {
    const value = fields[key];
    if (value === undefined) continue;
    text += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  return text;
}

/** `TIME LEVEL message key=value ...`. */
const textLine: Format = (time, label, message, fields, always) =>
  `${time} ${label} ${message}${textFields(fields)}${always}`;

/** `{"level":..,"time":..,...fields,"msg":..}`: pino's layout. */
const jsonLine: Format = (time, label, message, fields, always) =>
  `{"level":"${label}","time":"${time}"${jsonFields(fields)}${always},"msg":${
    JSON.stringify(message)
  }}`;

/**
 * Lines held as one string and written to `output` in one synchronous
 * write when BATCH_CHARS are held, BATCH_MS after the first, on `flush()`
 * and when the process unloads. Synchronous writes keep the order with
 * other output and never drop a line.
 */
class Batches {
  #held = "";
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #output: LogOutput;
  readonly #shared: boolean;
  readonly #encoder = new TextEncoder();

  constructor(output: LogOutput, shared: boolean) {
    this.#output = output;
    this.#shared = shared;
    // Runs on Deno.exit and on a natural end of the event loop.
    globalThis.addEventListener("unload", () => this.flush());
  }

  add(line: string): void {
    this.#held += line + "\n";
    if (this.#held.length >= BATCH_CHARS) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), BATCH_MS);
      // A pending batch must not keep the process alive (unload flushes).
      Deno.unrefTimer(this.#timer);
    }
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#held === "") return;
    let bytes = this.#encoder.encode(this.#held);
    this.#held = "";
    while (bytes.length > 0) {
      bytes = bytes.subarray(this.#output.writeSync(
        this.#shared ? wholeLines(bytes) : bytes,
      ));
    }
  }
}

/**
 * The longest start of `bytes` made of whole lines and at most PIPE_BUF
 * bytes long; a longer first line whole (it cannot be written in one piece).
 */
function wholeLines(bytes: Uint8Array): Uint8Array {
  if (bytes.length <= PIPE_BUF) return bytes;
  const end = bytes.lastIndexOf(10, PIPE_BUF - 1) + 1 ||
    bytes.indexOf(10) + 1 || bytes.length;
  return bytes.subarray(0, end);
}

/**
 * Creates a logger. Text lines read `TIME LEVEL message key=value ...`
 * (string values that are empty or hold spaces, quotes or `=` are
 * JSON-quoted); JSON lines are `{"level":..,"time":..,...fields,"msg":..}`
 * (pino's layout, so that log tooling made for pino reads them).
 *
 * @example Lines at or above the level, in text or JSON
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLogger } from "./log.ts";
 * const lines: string[] = [];
 * const now = () => new Date(0);
 * const text = createLogger({ write: (l) => lines.push(l), now });
 * text.info("started", { port: 50051, host: "my host" });
 * text.debug("dropped: below info");
 * const json = createLogger({ format: "json", write: (l) => lines.push(l), now });
 * json.warn("slow", { ms: 12.5 });
 * assert.deepEqual(lines, [
 *   '1970-01-01T00:00:00.000Z INFO started port=50051 host="my host"',
 *   '{"level":"warn","time":"1970-01-01T00:00:00.000Z","ms":12.5,"msg":"slow"}',
 * ]);
 * ```
 *
 * @example A worker's lines: tagged, and written in whole lines
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLogger } from "./log.ts";
 * const writes: string[] = [];
 * const decoder = new TextDecoder();
 * const output = { writeSync: (bytes: Uint8Array) => writes.push(decoder.decode(bytes)) && bytes.length };
 * const logger = createLogger({ output, shared: true, fields: { worker: 2 } });
 * for (let i = 0; i < 100; i++) logger.info("x".repeat(100), { i });
 * logger.flush?.();
 * assert.ok(writes.length > 1);
 * for (const text of writes) {
 *   assert.ok(text.length <= 4096 && text.endsWith("\n"));
 * }
 * assert.match(writes.join("").split("\n")[99], / INFO x{100} i=99 worker=2$/);
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const { now, level = "info" } = options;
  const json = options.format === "json";
  const format = json ? jsonLine : textLine;
  const time = now ? () => now().toISOString() : isoNow;
  const always = json ? jsonFields(options.fields) : textFields(options.fields);
  const batches = options.write
    ? undefined
    : new Batches(options.output ?? Deno.stdout, options.shared ?? false);
  const write = options.write ?? ((line: string) => batches!.add(line));
  const lowest = LOG_LEVELS.indexOf(level);
  const at = (name: LogLevel): Logger["info"] => {
    if (LOG_LEVELS.indexOf(name) < lowest) return () => {};
    const label = json ? name : name.toUpperCase();
    return (message, fields) =>
      write(format(time(), label, message, fields, always));
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    flush: () => batches?.flush(),
  };
}
