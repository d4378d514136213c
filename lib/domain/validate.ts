/**
 * Checks on what clients send. Each failure is a RouteGuideError with
 * INVALID_ARGUMENT and a message naming the field and its value.
 *
 * @module
 */
import { RouteGuideError, Status } from "./errors.ts";
import type { Point, Rectangle, RouteNote } from "./types.ts";
import { MAX_LATITUDE_E7, MAX_LONGITUDE_E7 } from "./geo.ts";

/**
 * Longest RouteNote message accepted, in UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { MAX_NOTE_BYTES } from "./validate.ts";
 * new TextEncoder().encode("€".repeat(342)).length > MAX_NOTE_BYTES; // true
 * ```
 */
export const MAX_NOTE_BYTES = 1024;

function invalid(message: string): RouteGuideError {
  return new RouteGuideError(Status.INVALID_ARGUMENT, message);
}

/**
 * Throws INVALID_ARGUMENT unless the point is within +-90 degrees latitude
 * and +-180 degrees longitude; `field` names it in the message.
 *
 * @example
 * ```ts
 * import { checkPoint } from "./validate.ts";
 * checkPoint({ latitude: 0, longitude: 0 }, "point"); // ok
 * ```
 */
export function checkPoint(point: Point | null, field: string): Point {
  if (point === null) throw invalid(`${field} is missing`);
  if (Math.abs(point.latitude) > MAX_LATITUDE_E7) {
    throw invalid(
      `${field}.latitude ${point.latitude} is outside +-90 degrees (+-${MAX_LATITUDE_E7} E7)`,
    );
  }
  if (Math.abs(point.longitude) > MAX_LONGITUDE_E7) {
    throw invalid(
      `${field}.longitude ${point.longitude} is outside +-180 degrees (+-${MAX_LONGITUDE_E7} E7)`,
    );
  }
  return point;
}

/**
 * Throws INVALID_ARGUMENT unless both corners are present and valid.
 *
 * @example
 * ```ts
 * import { checkRectangle } from "./validate.ts";
 * checkRectangle({ lo: { latitude: 0, longitude: 0 }, hi: { latitude: 1, longitude: 1 } });
 * ```
 */
export function checkRectangle(rectangle: Rectangle): { lo: Point; hi: Point } {
  return {
    lo: checkPoint(rectangle.lo, "rectangle.lo"),
    hi: checkPoint(rectangle.hi, "rectangle.hi"),
  };
}

const encoder = new TextEncoder();

/**
 * Throws INVALID_ARGUMENT unless the note has a valid location and a
 * message of valid Unicode (what UTF-8 can carry: protobuf strings must be
 * UTF-8) of at most {@link MAX_NOTE_BYTES} UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { checkNote } from "./validate.ts";
 * checkNote({ location: { latitude: 1, longitude: 1 }, message: "hi" });
 * ```
 */
export function checkNote(note: RouteNote): RouteNote {
  checkPoint(note.location, "note.location");
  // A lone surrogate: what wire_decode.ts decodes bytes that are not UTF-8 to.
  if (!note.message.isWellFormed()) {
    throw invalid("note.message is not valid UTF-8");
  }
  // Three bytes per UTF-16 unit is the most UTF-8 can take: skip encoding
  // messages that cannot be too long.
  if (note.message.length * 3 > MAX_NOTE_BYTES) {
    const bytes = encoder.encode(note.message).length;
    if (bytes > MAX_NOTE_BYTES) {
      throw invalid(
        `note.message is ${bytes} UTF-8 bytes, more than ${MAX_NOTE_BYTES}`,
      );
    }
  }
  return note;
}
