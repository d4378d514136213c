/**
 * What the command-line client reads from the user, apart from flags:
 * coordinates in decimal degrees, areas, points files and chat lines from
 * stdin, each refused with a {@link UsageError} that names the bad value.
 *
 * @module
 */
import { UsageError } from "./flags.ts";
import { parseFeatures } from "../domain/feature_files.ts";
import { pointFromDegrees } from "../domain/geo.ts";
import type { Point, Rectangle, RouteNote } from "../domain/types.ts";

/** Decimal degrees: digits with an optional sign and fraction. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * Parses decimal degrees for a latitude (within +-90) or a longitude
 * (within +-180); throws {@link UsageError} naming the value otherwise.
 *
 * @example
 * ```ts
 * import { parseDegrees } from "./input.ts";
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
    // A large integer is most likely E7 (degrees x 10^7), as in the JSON files.
    const e7 = Number.isInteger(degrees) && Math.abs(degrees / 1e7) <= limit
      ? `; decimal degrees are wanted: E7 ${text} would be ${degrees / 1e7}`
      : "";
    throw new UsageError(
      `${axis} '${text}' is outside -${limit}..${limit} degrees${e7}`,
    );
  }
  return degrees;
}

/**
 * Parses a latitude and a longitude in decimal degrees into an E7 point.
 *
 * @example
 * ```ts
 * import { parsePoint } from "./input.ts";
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
 * import { parseArea } from "./input.ts";
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
 * import { parsePointsFile } from "./input.ts";
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
 * import { readLines } from "./input.ts";
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
 * import { parseNotes } from "./input.ts";
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
