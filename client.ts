/**
 * `deno task client`: the RouteGuide command-line client. With no command
 * it runs the tutorial demo; `feature`, `list`, `record` and `chat` make
 * one call each.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  chatCommand,
  type CommandOptions,
  describeFailure,
  featureCommand,
  listCommand,
  parseArea,
  parseNotes,
  parsePoint,
  parsePointsFile,
  randomListedRoute,
  readLines,
  recordCommand,
  UsageError,
} from "./lib/cli/commands.ts";
import {
  CLIENT_SECURITY_FLAGS,
  CLIENT_SECURITY_HELP,
  clientOptionsFromFlags,
  CredentialsError,
  RouteGuideClient,
  runDemo,
  TokenError,
} from "./mod.ts";

const DEFAULT_ADDR = "localhost:50051";
const DEFAULT_TIMEOUT_S = 10;

const HELP = `Usage: deno task client [options] [COMMAND [ARGS]]

A RouteGuide gRPC client. With no COMMAND it runs the tutorial demo against
the server: GetFeature, ListFeatures, RecordRoute and RouteChat, printed in
the tutorial's format.

Commands (coordinates in decimal degrees, e.g. 40.7128 -74.006):
  feature LAT LNG            GetFeature: the feature at a point
  list LAT1 LNG1 LAT2 LNG2   ListFeatures: every feature in the rectangle
                             with these opposite corners
  record [--points N | --file FILE] [--area LAT1,LNG1,LAT2,LNG2]
                             RecordRoute: visit N random features that the
                             server lists in the area, or the points of FILE
  chat                       RouteChat: send each 'LAT LNG message' line of
                             stdin as a note, print the notes that come back

Options:
  --addr HOST:PORT    server address (default ${DEFAULT_ADDR}); a comma-
                      separated list of IP:PORT balances calls over them
                      (round_robin)
  --timeout SECONDS   deadline of each call; 0 for none (default ${DEFAULT_TIMEOUT_S})
  --json              print each message from the server as one JSON object
                      per line (E7 coordinates) instead of text; commands only
  -h, --help          show this help; 'COMMAND --help' shows a command's

Security:
${CLIENT_SECURITY_HELP}
Errors are one line on stderr. Exit status: 0 on success, 1 when a call
fails (server unreachable, deadline passed, error status), 2 for bad
arguments or input.
`;

const COMMAND_HELP: Record<string, string> = {
  feature: `Usage: deno task client [options] feature LAT LNG

GetFeature: prints the feature stored at exactly that point
("Feature called '<name>' at (lat=<E7>, lng=<E7>)"), or "Found no feature
at ..." when there is none. LAT and LNG are decimal degrees (latitude within
+-90, longitude within +-180); write negative ones as they are: feature 40.5 -74.2

Options: --addr, --timeout, --json (see --help)
`,
  list: `Usage: deno task client [options] list LAT1 LNG1 LAT2 LNG2

ListFeatures: prints every feature inside the rectangle with opposite corners
(LAT1, LNG1) and (LAT2, LNG2), in decimal degrees, edges included, as the
server streams them.

Options: --addr, --timeout, --json (see --help)
`,
  record: `Usage: deno task client [options] record [--points N | --file FILE]
                                          [--area LAT1,LNG1,LAT2,LNG2]

RecordRoute: sends a route and prints the server's summary (points, features
passed, metres travelled, seconds taken), after a "Visiting point ..." line
per point. The route is either

  --points N       N features picked at random (with repeats) from those the
                   server lists in --area (default 10)
  --area A         LAT1,LNG1,LAT2,LNG2 in decimal degrees (default
                   40,-75,42,-73, the tutorial's area); for a negative first
                   number write --area=-34,150,-33,152
  --file FILE      the points of FILE, in order: a route_guide_db.json-style
                   JSON array (E7 integers), a GeoJSON FeatureCollection of
                   Points, or text with one 'LAT LNG' pair of decimal degrees
                   per line (blank lines and '#' comments skipped)

Options: --addr, --timeout, --json (see --help); with --json only the
summary is printed.
`,
  chat: `Usage: deno task client [options] chat < NOTES

RouteChat: reads lines 'LAT LNG message' (decimal degrees, then the message;
blank lines skipped) from stdin and sends each as a note as soon as it is
read, printing "Sending RouteNote for ...". Prints "< Found previous note at
...: <message>" for each earlier note at that location the server returns.
End of input (Ctrl-D) ends the chat. Notes are shared by every client of the
server.
--timeout bounds the whole chat: use --timeout 0 when typing at a terminal.

Options: --addr, --timeout, --json (see --help); with --json only the notes
from the server are printed.
`,
};

/** Arity of each command's positional arguments. */
const ARITY: Record<string, number> = {
  feature: 2,
  list: 4,
  record: 0,
  chat: 0,
};

// parseArgs reads "-74.2" as short options; coordinates are often negative,
// so such arguments are shielded with a leading space and restored after.
const NEGATIVE_NUMBER = /^-\.?\d/;
const shielded = new Set<string>();
function shield(arg: string): string {
  if (!NEGATIVE_NUMBER.test(arg)) return arg;
  shielded.add(` ${arg}`);
  return ` ${arg}`;
}
function unshield<T extends string | undefined>(value: T): T {
  return (value !== undefined && shielded.has(value)
    ? value.slice(1)
    : value) as T;
}

function parseTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIMEOUT_S;
  const seconds = Number(text);
  if (text.trim() === "" || !(seconds >= 0) || !Number.isFinite(seconds)) {
    throw new UsageError(
      `--timeout must be a number of seconds >= 0, got '${text}'`,
    );
  }
  return seconds;
}

function parsePointCount(text: string | undefined): number {
  if (text === undefined) return 10;
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1) {
    throw new UsageError(`--points must be an integer >= 1, got '${text}'`);
  }
  return count;
}

let address = DEFAULT_ADDR;
let timeoutSeconds = DEFAULT_TIMEOUT_S;
let client: RouteGuideClient | undefined;
try {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args.map(shield),
      allowPositionals: true,
      options: {
        addr: { type: "string", default: DEFAULT_ADDR },
        timeout: { type: "string" },
        json: { type: "boolean", default: false },
        points: { type: "string" },
        file: { type: "string" },
        area: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
        ...CLIENT_SECURITY_FLAGS,
      },
    });
  } catch (error) {
    // Node's messages go on with advice about "--"; the first sentence says it.
    throw new UsageError((error as Error).message.split(". ")[0]);
  }
  const { values } = parsed;
  const [command, ...args] = parsed.positionals.map(unshield);
  if (command !== undefined && !(command in ARITY)) {
    throw new UsageError(
      `unknown command '${command}'; expected feature, list, record or chat`,
    );
  }
  if (values.help) {
    console.log(command ? COMMAND_HELP[command] : HELP);
    Deno.exit(0);
  }
  const commandPrefix = command ? `${command}: ` : "";
  if (command !== undefined && args.length !== ARITY[command]) {
    throw new UsageError(
      `${command} takes ${ARITY[command]} arguments, got ${args.length}: ${
        args.join(" ")
      }`.trimEnd(),
    );
  }
  for (const flag of ["points", "file", "area"] as const) {
    if (values[flag] !== undefined && command !== "record") {
      throw new UsageError(`--${flag} is an option of 'record' only`);
    }
  }
  if (
    values.file !== undefined && (values.points ?? values.area) !== undefined
  ) {
    throw new UsageError(
      "record: --file cannot be combined with --points or --area",
    );
  }
  if (values.json && command === undefined) {
    throw new UsageError("--json applies to commands; the demo prints text");
  }
  address = values.addr;
  timeoutSeconds = parseTimeout(unshield(values.timeout));
  const options: CommandOptions = {
    print: console.log,
    json: values.json,
    call: timeoutSeconds > 0 ? { timeoutMs: timeoutSeconds * 1000 } : {},
  };

  // Everything the user typed is checked before the first call.
  let run: (client: RouteGuideClient) => Promise<void>;
  try {
    switch (command) {
      case undefined:
        run = (c) => runDemo(c, console.log, { call: options.call });
        break;
      case "feature": {
        const point = parsePoint(args[0], args[1]);
        run = (c) => featureCommand(c, point, options);
        break;
      }
      case "list": {
        const rectangle = {
          lo: parsePoint(args[0], args[1]),
          hi: parsePoint(args[2], args[3]),
        };
        run = (c) => listCommand(c, rectangle, options);
        break;
      }
      case "record": {
        if (values.file !== undefined) {
          const file = unshield(values.file);
          let text;
          try {
            text = await Deno.readTextFile(file);
          } catch (error) {
            throw new UsageError(
              `${file}: cannot read: ${(error as Error).message}`,
            );
          }
          const points = parsePointsFile(text, file);
          run = (c) => recordCommand(c, points, options);
        } else {
          const count = parsePointCount(unshield(values.points));
          const area = values.area === undefined
            ? undefined
            : parseArea(unshield(values.area));
          run = async (c) =>
            recordCommand(
              c,
              await randomListedRoute(c, count, area, options.call),
              options,
            );
        }
        break;
      }
      default: // chat
        run = (c) =>
          chatCommand(c, parseNotes(readLines(Deno.stdin.readable)), options);
    }
  } catch (error) {
    if (error instanceof UsageError && commandPrefix) {
      throw new UsageError(`${commandPrefix}${error.message}`);
    }
    throw error;
  }

  const clientOptions = await clientOptionsFromFlags({
    ...values,
    ca: unshield(values.ca),
    cert: unshield(values.cert),
    key: unshield(values.key),
    "token-file": unshield(values["token-file"]),
  });
  try {
    client = new RouteGuideClient(address, clientOptions);
  } catch (error) {
    throw new UsageError(`--addr '${address}': ${(error as Error).message}`);
  }
  await run(client);
  client.close();
  Deno.exit(0);
} catch (error) {
  client?.close();
  const failure = describeFailure(error, address, timeoutSeconds);
  // Bad TLS or token files are named in the message; --help adds nothing.
  const fileError = error instanceof CredentialsError ||
    error instanceof TokenError;
  const hint = failure.exitCode === 2 && !fileError ? " (see --help)" : "";
  console.error(`routeguide client: ${failure.message}${hint}`);
  Deno.exit(failure.exitCode);
}
