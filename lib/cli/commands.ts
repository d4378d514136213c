/**
 * What the command-line client does, apart from parsing flags: reading
 * coordinates, points files and chat lines, running each RouteGuide call
 * and printing its messages in the tutorial's format or as JSON lines, and
 * turning failures into one line for the user.
 *
 * @module
 */
import type { CallOptions, RouteGuideClient } from "../grpc/client.ts";
import { TokenError } from "../grpc/auth.ts";
import { CredentialsError } from "../grpc/credentials.ts";
import {
  DEMO_RECTANGLE,
  formatFeature,
  formatReceivedNote,
  formatSentNote,
  formatSummary,
  formatVisiting,
  randomRoute,
} from "./demo.ts";
import { RouteGuideError, Status } from "../domain/errors.ts";
import { FeatureFileError, parseFeatures } from "../domain/feature_files.ts";
import { pointFromDegrees } from "../domain/geo.ts";
import type { Feature, Point, Rectangle, RouteNote } from "../domain/types.ts";

/**
 * A bad command-line argument or input line: the message says which and
 * why, and the client exits with status 2 without calling the server.
 *
 * @example
 * ```ts
 * import { parseDegrees, UsageError } from "./commands.ts";
 * try {
 *   parseDegrees("north", "latitude");
 * } catch (e) {
 *   e instanceof UsageError; // true
 * }
 * ```
 */
export class UsageError extends Error {
  /** Creates the error; the message is shown to the user as it is. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Decimal degrees: digits with an optional sign and fraction. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * Parses decimal degrees for a latitude (within +-90) or a longitude
 * (within +-180); throws {@link UsageError} naming the value otherwise.
 *
 * @example
 * ```ts
 * import { parseDegrees } from "./commands.ts";
 * parseDegrees("-74.006", "longitude"); // -74.006
 * ```
 */
export function parseDegrees(
  text: string,
  axis: "latitude" | "longitude",
): number {
  const limit = axis === "latitude" ? 90 : 180;
  if (!DECIMAL.test(text)) {
    throw new UsageError(
      `${axis} '${text}' is not a number of decimal degrees`,
    );
  }
  const degrees = Number(text);
  if (Math.abs(degrees) > limit) {
    throw new UsageError(
      `${axis} '${text}' is outside -${limit}..${limit} degrees`,
    );
  }
  return degrees;
}

/**
 * Parses a latitude and a longitude in decimal degrees into an E7 point.
 *
 * @example
 * ```ts
 * import { parsePoint } from "./commands.ts";
 * parsePoint("40.7128", "-74.006"); // { latitude: 407128000, longitude: -740060000 }
 * ```
 */
export function parsePoint(latitude: string, longitude: string): Point {
  return pointFromDegrees(
    parseDegrees(latitude, "latitude"),
    parseDegrees(longitude, "longitude"),
  );
}

/**
 * Parses a rectangle written as `LAT1,LNG1,LAT2,LNG2` (two opposite
 * corners, decimal degrees).
 *
 * @example
 * ```ts
 * import { parseArea } from "./commands.ts";
 * parseArea("40,-75,42,-73").hi; // { latitude: 420000000, longitude: -730000000 }
 * ```
 */
export function parseArea(text: string): Rectangle {
  const parts = text.split(",").map((part) => part.trim());
  if (parts.length !== 4) {
    throw new UsageError(
      `area '${text}' is not LAT1,LNG1,LAT2,LNG2 (four numbers)`,
    );
  }
  return {
    lo: parsePoint(parts[0], parts[1]),
    hi: parsePoint(parts[2], parts[3]),
  };
}

/**
 * Parses a file of route points: a JSON array in the classic
 * route_guide_db.json format or a GeoJSON FeatureCollection of Points (see
 * `parseFeatures`), or else text with one `LAT LNG` pair of decimal degrees
 * per line (blank lines and lines starting with `#` are skipped). Throws
 * {@link UsageError} or `FeatureFileError` naming the file and the bad entry.
 *
 * @example
 * ```ts
 * import { parsePointsFile } from "./commands.ts";
 * parsePointsFile("40.5 -74.25\n41 -74\n", "route.txt").length; // 2
 * ```
 */
export function parsePointsFile(text: string, fileName: string): Point[] {
  if (/^\s*[[{]/.test(text)) {
    return parseFeatures(text, fileName).map((feature) => feature.location!);
  }
  const points: Point[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const parts = trimmed.split(/\s+/);
    try {
      if (parts.length !== 2) throw new UsageError("expected 'LAT LNG'");
      points.push(parsePoint(parts[0], parts[1]));
    } catch (error) {
      throw new UsageError(
        `${fileName}: line ${i + 1}: ${(error as Error).message}: ${trimmed}`,
      );
    }
  }
  return points;
}

/**
 * Splits a byte stream (such as `Deno.stdin.readable`) into lines of text,
 * without their `\n` or `\r\n`.
 *
 * @example
 * ```ts
 * import { readLines } from "./commands.ts";
 * const stream = ReadableStream.from([new TextEncoder().encode("a\r\nb")]);
 * const lines = await Array.fromAsync(readLines(stream)); // ["a", "b"]
 * ```
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string, void, undefined> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop()!;
    for (const line of lines) yield line.replace(/\r$/, "");
  }
  if (pending !== "") yield pending.replace(/\r$/, "");
}

/**
 * Turns `LAT LNG message` lines into RouteNotes, skipping blank lines;
 * a malformed line throws {@link UsageError} naming its number.
 *
 * @example
 * ```ts
 * import { parseNotes } from "./commands.ts";
 * const notes = await Array.fromAsync(parseNotes(["1 2 hello there"]));
 * // [{ location: { latitude: 10000000, longitude: 20000000 }, message: "hello there" }]
 * ```
 */
export async function* parseNotes(
  lines: Iterable<string> | AsyncIterable<string>,
): AsyncGenerator<RouteNote, void, undefined> {
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === "") continue;
    const match = /^\s*(\S+)\s+(\S+)(?:\s(.*))?$/.exec(line);
    try {
      if (!match) throw new UsageError("expected 'LAT LNG message'");
      yield {
        location: parsePoint(match[1], match[2]),
        message: match[3] ?? "",
      };
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      throw new UsageError(`input line ${number}: ${error.message}: ${line}`);
    }
  }
}

/** How a command prints and calls. */
export interface CommandOptions {
  /** Receives each line of output. */
  print: (line: string) => void;
  /**
   * Print each message from the server as one JSON object (E7 coordinates)
   * instead of the tutorial's text; lines about what is sent are left out.
   */
  json?: boolean;
  /** Options for each call, such as a deadline. */
  call?: CallOptions;
}

/**
 * GetFeature: prints the feature at `point`.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient } from "../grpc/client.ts";
 * import { featureCommand } from "./commands.ts";
 * const client = new RouteGuideClient("localhost:50051");
 * await featureCommand(client, { latitude: 409146138, longitude: -746188906 }, { print: console.log });
 * ```
 */
export async function featureCommand(
  client: RouteGuideClient,
  point: Point,
  options: CommandOptions,
): Promise<void> {
  const feature = await client.getFeature(point, options.call);
  options.print(
    options.json ? JSON.stringify(feature) : formatFeature(feature),
  );
}

/**
 * ListFeatures: prints every feature in the rectangle as it arrives.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient } from "../grpc/client.ts";
 * import { DEMO_RECTANGLE } from "./demo.ts";
 * import { listCommand } from "./commands.ts";
 * const client = new RouteGuideClient("localhost:50051");
 * await listCommand(client, DEMO_RECTANGLE, { print: console.log });
 * ```
 */
export async function listCommand(
  client: RouteGuideClient,
  rectangle: Rectangle,
  options: CommandOptions,
): Promise<void> {
  for await (const feature of client.listFeatures(rectangle, options.call)) {
    options.print(
      options.json ? JSON.stringify(feature) : formatFeature(feature),
    );
  }
}

/**
 * Lists the features in `area` and returns a route of `count` of them
 * picked at random (lazily), for a RecordRoute over places the server knows. Throws {@link UsageError} when
 * the area holds none.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient } from "../grpc/client.ts";
 * import { randomListedRoute } from "./commands.ts";
 * const client = new RouteGuideClient("localhost:50051");
 * const route = await randomListedRoute(client, 10);
 * ```
 */
export async function randomListedRoute(
  client: RouteGuideClient,
  count: number,
  area: Rectangle = DEMO_RECTANGLE,
  call: CallOptions = {},
): Promise<Iterable<Point>> {
  const listed: Feature[] = await Array.fromAsync(
    client.listFeatures(area, call),
  );
  if (listed.length === 0) {
    throw new UsageError(
      "the server lists no features in the area to visit (see --area, --file)",
    );
  }
  // Picked as they are sent: a long route is never held in memory.
  return randomRoute(listed, count);
}

/**
 * RecordRoute: sends `points` (printing `Visiting point ...` for each in
 * text mode) and prints the server's summary.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient } from "../grpc/client.ts";
 * import { recordCommand } from "./commands.ts";
 * const client = new RouteGuideClient("localhost:50051");
 * await recordCommand(client, [{ latitude: 1, longitude: 2 }], { print: console.log });
 * ```
 */
export async function recordCommand(
  client: RouteGuideClient,
  points: Iterable<Point>,
  options: CommandOptions,
): Promise<void> {
  function* visit(): Generator<Point, void, undefined> {
    for (const point of points) {
      if (!options.json) options.print(formatVisiting(point));
      yield point;
    }
  }
  const summary = await client.recordRoute(visit(), options.call);
  if (options.json) options.print(JSON.stringify(summary));
  else for (const line of formatSummary(summary)) options.print(line);
}

/**
 * RouteChat: sends each note as it comes (printing `Sending RouteNote ...`
 * in text mode), prints every note the server returns, and half-closes
 * once `notes` ends. An error from `notes` cancels the call and is thrown.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient } from "../grpc/client.ts";
 * import { chatCommand, parseNotes, readLines } from "./commands.ts";
 * const client = new RouteGuideClient("localhost:50051");
 * await chatCommand(client, parseNotes(readLines(Deno.stdin.readable)), { print: console.log });
 * ```
 */
export async function chatCommand(
  client: RouteGuideClient,
  notes: AsyncIterable<RouteNote>,
  options: CommandOptions,
): Promise<void> {
  async function* send(): AsyncGenerator<RouteNote, void, undefined> {
    for await (const note of notes) {
      if (!options.json) options.print(formatSentNote(note));
      yield note;
    }
  }
  for await (const note of client.routeChat(send(), options.call)) {
    options.print(
      options.json ? JSON.stringify(note) : formatReceivedNote(note),
    );
  }
}

/** What the user is told when something fails, and the exit status. */
export interface Failure {
  /** One line, without the program's name. */
  message: string;
  /** 2 for bad arguments or input, 1 for everything else. */
  exitCode: number;
}

/**
 * Describes any error thrown by a command as one line and an exit status:
 * bad arguments and files (2), an unreachable server, an expired deadline
 * or an error status from the server (1).
 *
 * @example
 * ```ts
 * import { describeFailure } from "./commands.ts";
 * import { RouteGuideError, Status } from "../domain/errors.ts";
 * describeFailure(new RouteGuideError(Status.NOT_FOUND, "no"), "localhost:50051", 10);
 * // { message: "NOT_FOUND: no", exitCode: 1 }
 * ```
 */
export function describeFailure(
  error: unknown,
  address: string,
  timeoutSeconds: number,
): Failure {
  if (
    error instanceof UsageError || error instanceof FeatureFileError ||
    error instanceof CredentialsError || error instanceof TokenError
  ) {
    return { message: oneLine(error.message), exitCode: 2 };
  }
  const failure = RouteGuideError.from(error);
  const details = oneLine(failure.message)
    // grpc-js appends an empty note when name resolution went fine.
    .replace(/\s*Resolution note:\s*$/, "");
  let message: string;
  switch (failure.code) {
    case Status.UNAVAILABLE:
      message = `cannot reach ${address}: ${details}`;
      break;
    case Status.DEADLINE_EXCEEDED:
      message =
        `no complete answer from ${address} within ${timeoutSeconds} s (see --timeout): ${details}`;
      break;
    default:
      message = details;
  }
  return { message: `${failure.codeName}: ${message}`, exitCode: 1 };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
