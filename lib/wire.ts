/**
 * Protobuf encoding and decoding of the RouteGuide messages with
 * protobufjs's generated per-type codecs, called directly: proto-loader
 * wraps them in `fromObject` and `toObject` steps, which dominate a small
 * message's cost. Encoding omits proto3 defaults (0, "") as proto3
 * requires; decoded objects have the shapes proto-loader gives with
 * `defaults: true` (every field present, absent messages as `null`);
 * unknown fields are skipped.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import protobuf from "protobufjs";
import descriptor from "./gen/route_guide.descriptor.json" with {
  type: "json",
};
import type {
  Feature,
  Point,
  Rectangle,
  RouteNote,
  RouteSummary,
} from "./types.ts";

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
const PointType = root.lookupType("routeguide.Point");
const FeatureType = root.lookupType("routeguide.Feature");
const RectangleType = root.lookupType("routeguide.Rectangle");
const RouteNoteType = root.lookupType("routeguide.RouteNote");
const RouteSummaryType = root.lookupType("routeguide.RouteSummary");

// protobufjs writes every field an object sets, zeros included; an
// undefined field is skipped. Mapping defaults to undefined keeps the
// canonical proto3 bytes (and a few bytes per message).
function int32OrSkip(value: number): number | undefined {
  return value === 0 ? undefined : value;
}

function stringOrSkip(text: string): string | undefined {
  return text === "" ? undefined : text;
}

function pointOrSkip(point: Point | null): object | null {
  return point === null ? null : {
    latitude: int32OrSkip(point.latitude),
    longitude: int32OrSkip(point.longitude),
  };
}

/** protobufjs returns a Node Buffer here (grpc-js needs one). */
function finish(type: protobuf.Type, message: object): Buffer {
  return type.encode(message).finish() as Buffer;
}

/**
 * Decodes with protobufjs's plain Reader: its Buffer reader cuts a
 * truncated string short instead of throwing. protobufjs throws a
 * RangeError when a message is truncated but a plain Error for an invalid
 * wire type or an over-long varint: every malformed message throws a
 * RangeError here.
 */
function decode(type: protobuf.Type, bytes: Uint8Array): unknown {
  try {
    return type.decode(new protobuf.Reader(bytes));
  } catch (error) {
    if (error instanceof RangeError) throw error;
    throw new RangeError(`protobuf message is malformed: ${error}`, {
      cause: error,
    });
  }
}

// A decoded message's unset fields are its prototype's defaults; the rest
// of lib/ (and JSON output) wants plain objects with every field own.
function plainPoint(point: Point | null): Point | null {
  return point === null
    ? null
    : { latitude: point.latitude, longitude: point.longitude };
}

/**
 * Encodes a Point.
 *
 * @example
 * ```ts
 * import { encodePoint } from "./wire.ts";
 * encodePoint({ latitude: 1, longitude: 2 }); // <08 01 10 02>
 * ```
 */
export function encodePoint(point: Point): Buffer {
  return finish(PointType, pointOrSkip(point)!);
}

/**
 * Encodes a Feature (`name = 1`, `location = 2`).
 *
 * @example
 * ```ts
 * import { encodeFeature } from "./wire.ts";
 * encodeFeature({ name: "A", location: { latitude: 1, longitude: 2 } });
 * // <0a 01 41 12 04 08 01 10 02>
 * ```
 */
export function encodeFeature(feature: Feature): Buffer {
  return finish(FeatureType, {
    name: stringOrSkip(feature.name),
    location: pointOrSkip(feature.location),
  });
}

/**
 * Encodes a RouteNote (`location = 1`, `message = 2`).
 *
 * @example
 * ```ts
 * import { encodeRouteNote } from "./wire.ts";
 * encodeRouteNote({ location: { latitude: 1, longitude: 1 }, message: "hi" });
 * // <0a 04 08 01 10 01 12 02 68 69>
 * ```
 */
export function encodeRouteNote(note: RouteNote): Buffer {
  return finish(RouteNoteType, {
    location: pointOrSkip(note.location),
    message: stringOrSkip(note.message),
  });
}

/**
 * Encodes a Rectangle (`lo = 1`, `hi = 2`).
 *
 * @example
 * ```ts
 * import { encodeRectangle } from "./wire.ts";
 * encodeRectangle({ lo: { latitude: 1, longitude: 0 }, hi: null }); // <0a 02 08 01>
 * ```
 */
export function encodeRectangle(rectangle: Rectangle): Buffer {
  return finish(RectangleType, {
    lo: pointOrSkip(rectangle.lo),
    hi: pointOrSkip(rectangle.hi),
  });
}

/**
 * Encodes a RouteSummary.
 *
 * @example
 * ```ts
 * import { encodeRouteSummary } from "./wire.ts";
 * encodeRouteSummary({ pointCount: 2, featureCount: 0, distance: 0, elapsedTime: 0 });
 * // <08 02>
 * ```
 */
export function encodeRouteSummary(summary: RouteSummary): Buffer {
  return finish(RouteSummaryType, {
    pointCount: int32OrSkip(summary.pointCount),
    featureCount: int32OrSkip(summary.featureCount),
    distance: int32OrSkip(summary.distance),
    elapsedTime: int32OrSkip(summary.elapsedTime),
  });
}

/**
 * Decodes a Point; absent fields are 0.
 *
 * @example
 * ```ts
 * import { decodePoint } from "./wire.ts";
 * decodePoint(new Uint8Array([0x08, 0x01, 0x10, 0x02])); // { latitude: 1, longitude: 2 }
 * ```
 */
export function decodePoint(buf: Uint8Array): Point {
  return plainPoint(decode(PointType, buf) as Point)!;
}

/**
 * Decodes a Rectangle; an absent corner is `null`.
 *
 * @example
 * ```ts
 * import { decodeRectangle } from "./wire.ts";
 * decodeRectangle(new Uint8Array([0x0a, 0x02, 0x08, 0x01]));
 * // { lo: { latitude: 1, longitude: 0 }, hi: null }
 * ```
 */
export function decodeRectangle(buf: Uint8Array): Rectangle {
  const { lo, hi } = decode(RectangleType, buf) as Rectangle;
  return { lo: plainPoint(lo), hi: plainPoint(hi) };
}

/**
 * Decodes a RouteNote; an absent location is `null`, an absent message "".
 *
 * @example
 * ```ts
 * import { decodeRouteNote } from "./wire.ts";
 * decodeRouteNote(new Uint8Array([0x12, 0x02, 0x68, 0x69]));
 * // { location: null, message: "hi" }
 * ```
 */
export function decodeRouteNote(buf: Uint8Array): RouteNote {
  const { location, message } = decode(RouteNoteType, buf) as RouteNote;
  return { location: plainPoint(location), message };
}

/**
 * Decodes a Feature; an absent location is `null`, an absent name "".
 *
 * @example
 * ```ts
 * import { decodeFeature } from "./wire.ts";
 * decodeFeature(new Uint8Array([0x0a, 0x01, 0x41])); // { name: "A", location: null }
 * ```
 */
export function decodeFeature(buf: Uint8Array): Feature {
  const { name, location } = decode(FeatureType, buf) as Feature;
  return { name, location: plainPoint(location) };
}
