/**
 * The kinds of command-line flag values (switch, text, integer, seconds,
 * one of a list) and how each refuses a bad value: `--flag must be ...,
 * got '...'`.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { type FlagKind, UsageError } from "./flags.ts";

function invalid(flag: string, expected: string, text: string): UsageError {
  return new UsageError(`${flag} must be ${expected}, got '${text}'`);
}

/**
 * A boolean flag, given or not.
 *
 * @example
 * ```ts
 * import type { Flag } from "./flags.ts";
 * import { SWITCH } from "./flag_kinds.ts";
 * const json: Flag<boolean> = { kind: SWITCH, default: false, help: "print JSON lines" };
 * ```
 */
export const SWITCH: FlagKind<boolean> = {
  // parseArgs gives a switch's value as `true` when it is given.
  parse: (text) => text === "true",
};

/**
 * Any text; `arg` names it in help.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { text } from "./flag_kinds.ts";
 * assert.equal(text("FILE").parse("db.json", "--db"), "db.json");
 * ```
 */
export function text(arg: string): FlagKind<string> {
  return { arg, parse: (value) => value };
}

/**
 * The directory the user ran the command from: `deno task` runs tasks in
 * the repository root but keeps the user's directory in `$INIT_CWD`.
 */
function userDirectory(): string {
  return Deno.env.get("INIT_CWD") ?? Deno.cwd();
}

/** Why a file cannot be read, in a few words. */
function unreadable(error: unknown): string {
  return error instanceof Deno.errors.NotFound
    ? "no such file"
    : error instanceof Deno.errors.PermissionDenied
    ? "permission denied"
    : (error as Error).message;
}

/**
 * A file to read, named relative to the directory the user ran the command
 * from (`$INIT_CWD` under `deno task`, else the working directory). A file
 * that is missing, a directory or unreadable is refused at once, in one
 * wording for every such flag: `cannot read --db ./x.json: no such file`.
 * The value is the path as given when it already names that file from the
 * working directory (messages then show what the user typed), else the
 * absolute path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FILE } from "./flag_kinds.ts";
 * const path = Deno.makeTempFileSync();
 * assert.equal(FILE.parse(path, "--db"), path);
 * Deno.removeSync(path);
 * assert.throws(() => FILE.parse("./nope.json", "--db"), /^UsageError: cannot read --db \.\/nope\.json: no such file$/);
 * ```
 */
export const FILE: FlagKind<string> = {
  arg: "FILE",
  parse(text, flag) {
    const path = resolve(userDirectory(), text);
    let reason: string | undefined;
    try {
      if (Deno.statSync(path).isDirectory) reason = "is a directory";
      else Deno.openSync(path).close();
    } catch (error) {
      reason = unreadable(error);
    }
    if (reason !== undefined) {
      throw new UsageError(`cannot read ${flag} ${text}: ${reason}`, false);
    }
    return isAbsolute(text) || path === resolve(text) ? text : path;
  },
};

/**
 * An integer of at least `min` (default 1) and at most `max`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { integer } from "./flag_kinds.ts";
 * const port = integer({ min: 0, max: 65535, arg: "PORT" });
 * assert.equal(port.parse("8080", "--port"), 8080);
 * assert.throws(() => port.parse("70000", "--port"), /--port must be an integer from 0 to 65535, got '70000'/);
 * ```
 */
export function integer(
  { min = 1, max, arg = "N" }: { min?: number; max?: number; arg?: string } =
    {},
): FlagKind<number> {
  const expected = max === undefined
    ? `an integer >= ${min}`
    : `an integer from ${min} to ${max}`;
  return {
    arg,
    parse(text, flag) {
      const n = Number(text);
      if (
        text.trim() === "" || !Number.isInteger(n) || n < min ||
        (max !== undefined && n > max)
      ) {
        throw invalid(flag, expected, text);
      }
      return n;
    },
  };
}

function secondsOf(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === "" || !(n >= 0) || !Number.isFinite(n)) {
    throw invalid(flag, "a number of seconds >= 0", text);
  }
  return n;
}

/**
 * A duration given in seconds (fractions allowed), as seconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SECONDS } from "./flag_kinds.ts";
 * assert.equal(SECONDS.parse("0.5", "--timeout"), 0.5);
 * ```
 */
export const SECONDS: FlagKind<number> = { arg: "SECONDS", parse: secondsOf };

/**
 * A duration given in seconds, as whole milliseconds; help shows seconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SECONDS_AS_MS } from "./flag_kinds.ts";
 * assert.equal(SECONDS_AS_MS.parse("1.5", "--grace"), 1500);
 * assert.equal(SECONDS_AS_MS.show!(5000), "5");
 * ```
 */
export const SECONDS_AS_MS: FlagKind<number> = {
  arg: "SECONDS",
  parse: (text, flag) => Math.round(secondsOf(text, flag) * 1000),
  show: (ms) => String(ms / 1000),
};

/**
 * One of `allowed`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oneOf } from "./flag_kinds.ts";
 * const format = oneOf(["text", "json"] as const, "FORMAT");
 * assert.equal(format.parse("json", "--log-format"), "json");
 * ```
 */
export function oneOf<T extends string>(
  allowed: readonly T[],
  arg: string,
): FlagKind<T> {
  return {
    arg,
    parse(text, flag) {
      if (!allowed.includes(text as T)) {
        throw invalid(flag, `one of ${allowed.join(", ")}`, text);
      }
      return text as T;
    },
  };
}

/**
 * `a, b or c`, for help lines that list a flag's choices.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { alternatives } from "./flag_kinds.ts";
 * assert.equal(alternatives(["debug", "info", "warn"]), "debug, info or warn");
 * ```
 */
export function alternatives(values: readonly string[]): string {
  return values.length < 2
    ? values.join("")
    : `${values.slice(0, -1).join(", ")} or ${values.at(-1)}`;
}

/**
 * `memory`, or the URL of a Redis (`--notes`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NOTES_URL } from "./flag_kinds.ts";
 * assert.equal(NOTES_URL.parse("redis://localhost:6379/0", "--notes"), "redis://localhost:6379/0");
 * assert.throws(() => NOTES_URL.parse("localhost", "--notes"), /must be 'memory' or redis/);
 * ```
 */
export const NOTES_URL: FlagKind<string> = {
  arg: "URL",
  parse(value, flag) {
    if (value !== "memory" && !/^rediss?:\/\//.test(value)) {
      throw new UsageError(
        `${flag} must be 'memory' or redis://host:port/db, got '${value}'`,
      );
    }
    return value;
  },
};
