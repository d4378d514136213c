/**
 * Command-line flags declared once. Each entry point writes one table of
 * its flags (name, kind of value, default, help line); the `node:util`
 * parseArgs options, the checked values and the `--help` text all come from
 * that table, so help cannot drift from what is accepted. Also the one-line
 * error every bad argument becomes. The kinds are in `flag_kinds.ts`.
 *
 * @module
 */
import { parseArgs } from "node:util";

/**
 * A bad command-line argument or input line: the message says which and
 * why, and the program exits with status 2 without doing anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError } from "./flags.ts";
 * import { integer } from "./flag_kinds.ts";
 * assert.throws(() => integer().parse("many", "--workers"), UsageError);
 * ```
 */
export class UsageError extends Error {
  /**
   * Creates the error; the message is shown to the user as it is.
   * `seeHelp` is false when `--help` would not help (a file that cannot be
   * read), so the client does not point to it.
   */
  constructor(message: string, readonly seeHelp = true) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * How a flag's text becomes its value, and how a default value is shown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { FlagKind } from "./flags.ts";
 * const upper: FlagKind<string> = { arg: "NAME", parse: (text) => text.toUpperCase() };
 * assert.equal(upper.parse("x", "--name"), "X");
 * ```
 */
export interface FlagKind<T> {
  /** The value's placeholder in help (`N`, `FILE`); none for a switch. */
  readonly arg?: string;
  /** The value of `text`; throws {@link UsageError} naming `flag` otherwise. */
  parse(text: string, flag: string): T;
  /** A value as help shows it (default: `String(value)`). */
  show?(value: T): string;
}

/**
 * One flag of a table: its kind, help line and default.
 *
 * @example
 * ```ts
 * import type { Flag } from "./flags.ts";
 * import { integer } from "./flag_kinds.ts";
 * const workers: Flag<number> = { kind: integer(), default: 1, help: "processes to serve from" };
 * ```
 */
export interface Flag<T> {
  /** How the text is read. */
  readonly kind: FlagKind<T>;
  /** What the flag does, one sentence; help adds the default. */
  readonly help: string;
  /** The value when the flag is not given; help shows it. */
  readonly default?: T;
  /** Said after the default in help, such as `0: never`. */
  readonly note?: string;
  /** What leaving the flag out means when that is no value (help only). */
  readonly absent?: string;
  /** One-letter alias, as in `-h`. */
  readonly short?: string;
  /** Help heading; a flag without one is listed under the flag above it. */
  readonly section?: string;
  /** The only command the flag applies to (clients with commands). */
  readonly command?: string;
}

/** A table of flags by name (without the leading `--`). */
export type FlagTable = Readonly<Record<string, Flag<unknown>>>;

/** The type of value a flag's kind reads. */
type KindValue<F> = F extends { kind: FlagKind<infer T> } ? T : never;

type ValueOf<F> = "default" extends keyof F ? KindValue<F>
  : KindValue<F> | undefined;

/** The checked values of a table's flags, by name. */
export type FlagValues<S extends FlagTable> = {
  -readonly [K in keyof S]: ValueOf<S[K]>;
};

/**
 * Declares a table of flags: the identity, with each default checked
 * against its flag's kind.
 *
 * @example
 * ```ts
 * import { defineFlags } from "./flags.ts";
 * import { integer, SWITCH } from "./flag_kinds.ts";
 * const FLAGS = defineFlags({
 *   workers: { kind: integer(), default: 1, help: "processes to serve from" },
 *   help: { kind: SWITCH, short: "h", help: "show this help" },
 * });
 * ```
 */
export function defineFlags<
  S extends { [K in keyof S]: Flag<KindValue<S[K]>> },
>(table: S): S {
  return table;
}

// parseArgs reads "-74.2" as short options; coordinates and bad durations
// are often negative, so such arguments are shielded with a leading space
// while parsing and restored after.
const NEGATIVE_NUMBER = /^-\.?\d/;

/** What the command line says, before the values are checked. */
export interface ParsedArgs {
  /** Each given flag's text (`true` for a switch), by name. */
  given: Record<string, string | boolean | undefined>;
  /** The arguments that are not flags. */
  positionals: string[];
}

/**
 * Splits `args` by the table: throws {@link UsageError} (one line) for an
 * unknown flag, a missing value, or a positional argument when none are
 * allowed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineFlags, readArgs } from "./flags.ts";
 * import { SECONDS } from "./flag_kinds.ts";
 * const FLAGS = defineFlags({ timeout: { kind: SECONDS, help: "deadline" } });
 * const { given, positionals } = readArgs(FLAGS, ["--timeout", "1", "feature", "-74.2"], true);
 * assert.equal(given.timeout, "1");
 * assert.deepEqual(positionals, ["feature", "-74.2"]);
 * ```
 */
export function readArgs(
  table: FlagTable,
  args: readonly string[],
  allowPositionals = false,
): ParsedArgs {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string }
  > = {};
  for (const [name, flag] of Object.entries(table)) {
    options[name] = {
      type: flag.kind.arg === undefined ? "boolean" : "string",
      ...(flag.short === undefined ? {} : { short: flag.short }),
    };
  }
  const shielded = new Set<string>();
  const unshield = (arg: string) => shielded.has(arg) ? arg.slice(1) : arg;
  let parsed;
  try {
    parsed = parseArgs({
      args: args.map((arg) => {
        if (!NEGATIVE_NUMBER.test(arg)) return arg;
        shielded.add(` ${arg}`);
        return ` ${arg}`;
      }),
      options,
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    // Node's messages go on with advice about "--"; the first sentence says it.
    throw new UsageError((error as Error).message.split(". ")[0]);
  }
  const given: ParsedArgs["given"] = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    given[name] = typeof value === "string" ? unshield(value) : value;
  }
  return { given, positionals: parsed.positionals.map((arg) => unshield(arg)) };
}

/**
 * Checks each given flag with its kind and fills in defaults. With
 * `command`, a flag of another command is refused, and a bad value of a
 * command's flag is named with the command (`record: --points ...`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineFlags, flagValues } from "./flags.ts";
 * import { integer } from "./flag_kinds.ts";
 * const FLAGS = defineFlags({ workers: { kind: integer(), default: 1, help: "processes" } });
 * assert.equal(flagValues(FLAGS, {}).workers, 1);
 * assert.throws(() => flagValues(FLAGS, { workers: "0" }), /--workers must be an integer >= 1, got '0'/);
 * ```
 */
export function flagValues<S extends FlagTable>(
  table: S,
  given: ParsedArgs["given"],
  command?: string,
): FlagValues<S> {
  const values: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(table)) {
    const value = given[name];
    if (value === undefined) {
      values[name] = flag.default;
      continue;
    }
    if (flag.command !== undefined && flag.command !== command) {
      throw new UsageError(
        `--${name} is an option of '${flag.command}' only`,
      );
    }
    try {
      values[name] = flag.kind.parse(String(value), `--${name}`);
    } catch (error) {
      if (!(error instanceof UsageError) || flag.command === undefined) {
        throw error;
      }
      throw new UsageError(`${flag.command}: ${error.message}`, error.seeHelp);
    }
  }
  return values as FlagValues<S>;
}

/** The longest help line. */
const WIDTH = 78;
/** Joins words that must stay on one line of help. */
const NBSP = "\u00a0";

function wrap(words: string[], width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines.map((l) => l.replaceAll(NBSP, " "));
}

/** A flag's help text with its default, as words to wrap. */
function describe(flag: Flag<unknown>): string[] {
  const words = flag.help.split(" ");
  if (flag.default !== undefined && flag.kind.arg !== undefined) {
    // "(default 50051)" never breaks between the word and the value.
    const shown = flag.kind.show?.(flag.default) ?? String(flag.default);
    const end = flag.note === undefined ? ")" : ";";
    words.push(`(default${NBSP}${shown}${end}`);
    if (flag.note !== undefined) words.push(...`${flag.note})`.split(" "));
  } else if (flag.absent !== undefined) {
    words.push(...`(default: ${flag.absent})`.split(" "));
  }
  return words;
}

/**
 * The help lines of a table's flags (those `include` keeps), under their
 * sections' headings, descriptions from column `column`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineFlags, flagsHelp } from "./flags.ts";
 * import { integer } from "./flag_kinds.ts";
 * const FLAGS = defineFlags({
 *   workers: { kind: integer(), default: 1, help: "processes", section: "Options" },
 * });
 * assert.equal(flagsHelp(FLAGS, 16), "Options:\n  --workers N   processes (default 1)\n");
 * ```
 */
export function flagsHelp(
  table: FlagTable,
  column: number,
  include: (flag: Flag<unknown>) => boolean = () => true,
): string {
  const out: string[] = [];
  let section: string | undefined;
  for (const [name, flag] of Object.entries(table)) {
    if (flag.section !== undefined) section = flag.section;
    if (!include(flag)) continue;
    if (section !== undefined) {
      out.push(`${out.length > 0 ? "\n" : ""}${section}:`);
      section = undefined;
    }
    const short = flag.short === undefined ? "" : `-${flag.short}, `;
    const arg = flag.kind.arg === undefined ? "" : ` ${flag.kind.arg}`;
    const names = `  ${short}--${name}${arg}`;
    const [first, ...rest] = wrap(describe(flag), WIDTH - column);
    const indent = " ".repeat(column);
    if (names.length < column) {
      out.push(names.padEnd(column) + first);
    } else {
      out.push(names, indent + first);
    }
    for (const line of rest) out.push(indent + line);
  }
  return out.join("\n") + "\n";
}
