/**
 * The command-line client's flags and help: one table, from which come
 * what `client.ts` accepts, the checked values and `--help` for the client
 * and each command; and the client options its TLS and token flags load.
 *
 * @module
 */
import { loadToken, TOKEN_ENV } from "../grpc/auth.ts";
import type { ClientOptions } from "../grpc/client.ts";
import { SCHEME } from "../grpc/channel_target.ts";
import { loadClientOptions } from "../grpc/credentials.ts";
import type { Rectangle } from "../domain/types.ts";
import { DEMO_RECTANGLE } from "./demo.ts";
import {
  defineFlags,
  type FlagKind,
  flagsHelp,
  type FlagValues,
  flagValues,
  readArgs,
  UsageError,
} from "./flags.ts";
import { FILE, integer, SECONDS, SWITCH } from "./flag_kinds.ts";
import { parseArea } from "./input.ts";

/** A rectangle as `LAT1,LNG1,LAT2,LNG2` in decimal degrees. */
const AREA: FlagKind<Rectangle> = {
  arg: "LAT1,LNG1,LAT2,LNG2",
  parse: (value) => parseArea(value),
  show: ({ lo, hi }) =>
    [lo!.latitude, lo!.longitude, hi!.latitude, hi!.longitude]
      .map((e7) => e7 / 1e7).join(","),
};

/** The port the server listens on unless told otherwise. */
const DEFAULT_PORT = 50051;

/**
 * One `HOST:PORT` of `--addr`, completed: no host means localhost and no
 * port means the server's default (never gRPC's 443, which no RouteGuide
 * server listens on); a bare IPv6 address gets its brackets.
 */
function completeAddress(entry: string, flag: string, given: string): string {
  const bare = !entry.startsWith("[") && entry.split(":").length > 2;
  const [, host, port] = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(
    bare ? `[${entry}]` : entry,
  ) ?? [];
  const n = port === undefined
    ? DEFAULT_PORT
    : /^\d+$/.test(port)
    ? Number(port)
    : NaN;
  if (host === undefined || !(n >= 1 && n <= 65535)) {
    throw new UsageError(
      `${flag} must be HOST:PORT with a port from 1 to 65535, got '${given}'`,
    );
  }
  return `${host || "localhost"}:${n}`;
}

/**
 * `HOST:PORT`, or a comma-separated list of them, each completed; a
 * grpc-js target (`dns:...`, `unix:...`) as given.
 */
const ADDRESS: FlagKind<string> = {
  arg: "HOST:PORT",
  parse(value, flag) {
    if (SCHEME.test(value)) return value;
    const entries = value.split(",").map((entry) => entry.trim())
      .filter((entry) => entry !== "");
    if (entries.length === 0) {
      throw new UsageError(`${flag} must be HOST:PORT, got '${value}'`);
    }
    return entries.map((entry) => completeAddress(entry, flag, value))
      .join(",");
  },
};

/**
 * Every flag of `client.ts`, in help order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CLIENT_FLAGS } from "./client_flags.ts";
 * assert.equal(CLIENT_FLAGS.addr.default, "localhost:50051");
 * ```
 */
export const CLIENT_FLAGS = defineFlags({
  addr: {
    kind: ADDRESS,
    default: `localhost:${DEFAULT_PORT}`,
    section: "Options",
    help:
      `server address; HOST alone means port ${DEFAULT_PORT}, :PORT alone localhost; a comma-separated list of IP:PORT balances calls over them (round_robin)`,
  },
  timeout: {
    kind: SECONDS,
    default: 10,
    help: "deadline of each call; 0 for none",
  },
  json: {
    kind: SWITCH,
    default: false,
    help:
      "print each message from the server as one JSON object per line (E7 coordinates) instead of text; commands only",
  },
  help: {
    kind: SWITCH,
    short: "h",
    default: false,
    help: "show this help; 'COMMAND --help' shows a command's",
  },
  tls: {
    kind: SWITCH,
    default: false,
    section: "Security",
    help: "connect with TLS (implied by --ca, --cert, --key)",
  },
  ca: {
    kind: FILE,
    absent: "system roots",
    help: "PEM CA to verify the server with",
  },
  cert: {
    kind: FILE,
    help: "PEM client certificate, for mTLS (with --key)",
  },
  key: {
    kind: FILE,
    help: "PEM client private key, for mTLS (with --cert)",
  },
  "token-file": {
    kind: FILE,
    absent: `$${TOKEN_ENV}, if set`,
    help: "send 'authorization: Bearer <token>' with the token in FILE",
  },
  points: {
    kind: integer(),
    default: 10,
    command: "record",
    section: "Route",
    help:
      "N features picked at random (with repeats) from those the server lists in --area",
  },
  area: {
    kind: AREA,
    default: DEMO_RECTANGLE,
    command: "record",
    note: "the tutorial's area",
    help: "opposite corners of the area, in decimal degrees",
  },
  file: {
    kind: FILE,
    command: "record",
    help:
      "the points of FILE, in order, instead: a route_guide_db.json-style JSON array (E7 integers), a GeoJSON FeatureCollection of Points, or text with one 'LAT LNG' pair of decimal degrees per line (blank lines and '#' comments skipped)",
  },
});

/** Column of the help's descriptions. */
const COLUMN = 24;

const CLIENT_HELP = `Usage: deno task client [options] [COMMAND [ARGS]]

A RouteGuide gRPC client. With no COMMAND it runs the tutorial demo against
the server: GetFeature, ListFeatures, RecordRoute and RouteChat, printed in
the tutorial's format.

Commands (coordinates in decimal degrees, e.g. 40.71427 -74.00597):
  feature LAT LNG       GetFeature: the feature at a point
  list LAT1 LNG1 LAT2 LNG2
                        ListFeatures: every feature in the rectangle with
                        these opposite corners
  record [--points N | --file FILE] [--area LAT1,LNG1,LAT2,LNG2]
                        RecordRoute: visit N random features that the server
                        lists in the area, or the points of FILE
  chat                  RouteChat: send each 'LAT LNG message' line of stdin
                        as a note, print the notes that come back

${flagsHelp(CLIENT_FLAGS, COLUMN, (flag) => flag.command === undefined)}
Errors are one line on stderr. Exit status: 0 on success, 1 when a call
fails (server unreachable, deadline passed, error status), 2 for bad
arguments or input.
`;

const COMMON = "Options: --addr, --timeout, --json (see --help)";

const COMMAND_HELP = {
  feature: `Usage: deno task client [options] feature LAT LNG

GetFeature: prints the feature stored at exactly that point
("Feature called '<name>' at (lat=<E7>, lng=<E7>)"), or "Found no feature
at ..." when there is none. LAT and LNG are decimal degrees (latitude within
+-90, longitude within +-180); write negative ones as they are: feature 40.5 -74.2

${COMMON}
`,
  list: `Usage: deno task client [options] list LAT1 LNG1 LAT2 LNG2

ListFeatures: prints every feature inside the rectangle with opposite corners
(LAT1, LNG1) and (LAT2, LNG2), in decimal degrees, edges included, as the
server streams them.

${COMMON}
`,
  record: `Usage: deno task client [options] record [--points N | --file FILE]
                                          [--area LAT1,LNG1,LAT2,LNG2]

RecordRoute: sends a route and prints the server's summary (points, features
passed, metres travelled, seconds taken), after a "Visiting point ..." line
per point.

${flagsHelp(CLIENT_FLAGS, COLUMN, (flag) => flag.command === "record")}
${COMMON}; with --json only the
summary is printed.
`,
  chat: `Usage: deno task client [options] chat < NOTES

RouteChat: reads lines 'LAT LNG message' (decimal degrees, then the message;
blank lines skipped) from stdin and sends each as a note as soon as it is
read, printing "Sending RouteNote for ...". Prints "< Found previous note at
...: <message>" for each note the server sends: the earlier notes at each
note's location and, until the chat ends, those that other clients leave
where this chat has written. End of input (Ctrl-D) ends the chat. Notes are
shared by every client of the server.
--timeout bounds the whole chat: use --timeout 0 when typing at a terminal.

${COMMON}; with --json only the
notes from the server are printed.
`,
};

/** The client's commands, by the number of arguments each takes. */
const ARITY = { feature: 2, list: 4, record: 0, chat: 0 };

/** A command of the client. */
export type ClientCommand = keyof typeof ARITY;

/** What the command line asks of the client, checked. */
export interface ClientRequest {
  /** The command; the demo when undefined. */
  command?: ClientCommand;
  /** Its arguments (coordinates, not yet read). */
  args: string[];
  /** Every flag's value. */
  values: FlagValues<typeof CLIENT_FLAGS>;
}

/**
 * Reads the client's command line: the help text when `--help` is given,
 * else the checked request. Throws {@link UsageError} (one line) for
 * anything wrong in it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseClientArgs } from "./client_flags.ts";
 * const request = parseClientArgs(["--timeout", "2", "feature", "40.5", "-74.2"]);
 * assert.ok(!("help" in request));
 * assert.deepEqual(request.args, ["40.5", "-74.2"]);
 * assert.equal(request.values.timeout, 2);
 * ```
 */
export function parseClientArgs(
  args: readonly string[],
): ClientRequest | { help: string } {
  const { given, positionals } = readArgs(CLIENT_FLAGS, args, true);
  const [name, ...rest] = positionals;
  if (name !== undefined && !Object.hasOwn(ARITY, name)) {
    throw new UsageError(
      `unknown command '${name}'; expected feature, list, record or chat`,
    );
  }
  const command = name as ClientCommand | undefined;
  if (given.help) {
    return { help: command ? COMMAND_HELP[command] : CLIENT_HELP };
  }
  if (command !== undefined && rest.length !== ARITY[command]) {
    throw new UsageError(
      `${command} takes ${ARITY[command]} arguments, got ${rest.length}${
        rest.length ? `: ${rest.join(" ")}` : ""
      }`,
    );
  }
  if (given.file !== undefined && (given.points ?? given.area) !== undefined) {
    throw new UsageError(
      "record: --file cannot be combined with --points or --area",
    );
  }
  const values = flagValues(CLIENT_FLAGS, given, command);
  if (values.json && command === undefined) {
    throw new UsageError("--json applies to commands; the demo prints text");
  }
  return { command, args: rest, values };
}

/**
 * Client options from the TLS flags and the token from `--token-file` or
 * `$ROUTEGUIDE_TOKEN`; throws CredentialsError or TokenError (one line)
 * when a file cannot be used.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient } from "../grpc/client.ts";
 * import { clientSecurity, parseClientArgs } from "./client_flags.ts";
 * const request = parseClientArgs(["--ca", "ca.crt"]);
 * if (!("help" in request)) {
 *   new RouteGuideClient(request.values.addr, await clientSecurity(request.values));
 * }
 * ```
 */
export async function clientSecurity(
  values: ClientRequest["values"],
): Promise<ClientOptions> {
  return await loadClientOptions({
    tls: values.tls,
    ca: values.ca,
    cert: values.cert,
    key: values.key,
    token: await loadToken(values["token-file"]),
  });
}
