/**
 * Hand-written protobuf encoding of the RouteGuide messages: the same wire
 * format as protobufjs, without its reflection steps, which dominate a
 * small message's cost; each message is sized first and written into one
 * buffer. Decoding is in `wire_decode.ts`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type * as rg from "../domain/types.ts";

// ---------------------------------------------------------------- sizes

function varintSize(value: number): number {
  // int32: negative values take ten bytes (sign-extended to 64 bits).
  if (value < 0) return 10;
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** UTF-8 length of a string, without encoding it. */
function utf8Size(text: string): number {
  let size = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) size += 1;
    else if (c < 0x800) size += 2;
    else if (
      (c & 0xfc00) === 0xd800 && i + 1 < text.length &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      size += 4;
      i++;
    } else size += 3;
  }
  return size;
}

function pointBodySize(point: rg.Point): number {
  return (point.latitude === 0 ? 0 : 1 + varintSize(point.latitude)) +
    (point.longitude === 0 ? 0 : 1 + varintSize(point.longitude));
}

function int32FieldSize(value: number): number {
  return value === 0 ? 0 : 1 + varintSize(value);
}

// -------------------------------------------------------------- writing

function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  if (value < 0) {
    // Low 32 bits in five groups, then the sign extension's all-ones.
    let lo = value >>> 0;
    for (let i = 0; i < 4; i++) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    buf[pos++] = lo | 0xf0;
    buf[pos++] = 0xff;
    buf[pos++] = 0xff;
    buf[pos++] = 0xff;
    buf[pos++] = 0xff;
    buf[pos++] = 0x01;
    return pos;
  }
  while (value >= 0x80) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[pos++] = value;
  return pos;
}

function writeInt32Field(
  buf: Uint8Array,
  pos: number,
  tag: number,
  value: number,
): number {
  if (value === 0) return pos;
  buf[pos++] = tag;
  return writeVarint(buf, pos, value);
}

function writePointField(
  buf: Uint8Array,
  pos: number,
  tag: number,
  point: rg.Point,
  size: number,
): number {
  buf[pos++] = tag;
  buf[pos++] = size; // at most 22
  pos = writeInt32Field(buf, pos, 0x08, point.latitude);
  return writeInt32Field(buf, pos, 0x10, point.longitude);
}

function writeString(
  buf: Uint8Array,
  pos: number,
  text: string,
  size: number,
): number {
  if (size === text.length) {
    // ASCII: one byte per unit.
    for (let i = 0; i < size; i++) buf[pos + i] = text.charCodeAt(i);
    return pos + size;
  }
  return pos + encoder.encodeInto(text, buf.subarray(pos, pos + size)).written!;
}

const encoder = new TextEncoder();

/**
 * Encodes a Point.
 *
 * @example
 * ```ts
 * import { encodePoint } from "./wire_encode.ts";
 * encodePoint({ latitude: 1, longitude: 2 }); // <08 01 10 02>
 * ```
 */
export function encodePoint(point: rg.Point): Buffer {
  const buf = Buffer.allocUnsafe(pointBodySize(point));
  writeInt32Field(
    buf,
    writeInt32Field(buf, 0, 0x08, point.latitude),
    0x10,
    point.longitude,
  );
  return buf;
}

/** Encodes a message with a string field and a Point field. */
function encodeStringAndPoint(
  text: string,
  textTag: number,
  point: rg.Point | null,
  pointTag: number,
  textFirst: boolean,
): Buffer {
  const textSize = utf8Size(text);
  const textField = textSize === 0 ? 0 : 1 + varintSize(textSize) + textSize;
  const pointSize = point === null ? 0 : pointBodySize(point);
  const pointField = point === null ? 0 : 2 + pointSize;
  const buf = Buffer.allocUnsafe(textField + pointField);
  let pos = 0;
  if (!textFirst && point !== null) {
    pos = writePointField(buf, pos, pointTag, point, pointSize);
  }
  if (textSize !== 0) {
    buf[pos++] = textTag;
    pos = writeVarint(buf, pos, textSize);
    pos = writeString(buf, pos, text, textSize);
  }
  if (textFirst && point !== null) {
    writePointField(buf, pos, pointTag, point, pointSize);
  }
  return buf;
}

/**
 * Encodes a Feature (`name = 1`, `location = 2`).
 *
 * @example
 * ```ts
 * import { encodeFeature } from "./wire_encode.ts";
 * encodeFeature({ name: "A", location: { latitude: 1, longitude: 2 } });
 * // <0a 01 41 12 04 08 01 10 02>
 * ```
 */
export function encodeFeature(feature: rg.Feature): Buffer {
  return encodeStringAndPoint(
    feature.name,
    0x0a,
    feature.location,
    0x12,
    true,
  );
}

/**
 * Encodes a RouteNote (`location = 1`, `message = 2`).
 *
 * @example
 * ```ts
 * import { encodeRouteNote } from "./wire_encode.ts";
 * encodeRouteNote({ location: { latitude: 1, longitude: 1 }, message: "hi" });
 * // <0a 04 08 01 10 01 12 02 68 69>
 * ```
 */
export function encodeRouteNote(note: rg.RouteNote): Buffer {
  return encodeStringAndPoint(
    note.message,
    0x12,
    note.location,
    0x0a,
    false,
  );
}

/**
 * Encodes a Rectangle (`lo = 1`, `hi = 2`).
 *
 * @example
 * ```ts
 * import { encodeRectangle } from "./wire_encode.ts";
 * encodeRectangle({ lo: { latitude: 1, longitude: 0 }, hi: null }); // <0a 02 08 01>
 * ```
 */
export function encodeRectangle(rectangle: rg.Rectangle): Buffer {
  const { lo, hi } = rectangle;
  const loSize = lo === null ? 0 : pointBodySize(lo);
  const hiSize = hi === null ? 0 : pointBodySize(hi);
  const buf = Buffer.allocUnsafe(
    (lo === null ? 0 : 2 + loSize) + (hi === null ? 0 : 2 + hiSize),
  );
  let pos = 0;
  if (lo !== null) pos = writePointField(buf, pos, 0x0a, lo, loSize);
  if (hi !== null) writePointField(buf, pos, 0x12, hi, hiSize);
  return buf;
}

/**
 * Encodes a RouteSummary.
 *
 * @example
 * ```ts
 * import { encodeRouteSummary } from "./wire_encode.ts";
 * encodeRouteSummary({ pointCount: 2, featureCount: 0, distance: 0, elapsedTime: 0 });
 * // <08 02>
 * ```
 */
export function encodeRouteSummary(summary: rg.RouteSummary): Buffer {
  const buf = Buffer.allocUnsafe(
    int32FieldSize(summary.pointCount) + int32FieldSize(summary.featureCount) +
      int32FieldSize(summary.distance) + int32FieldSize(summary.elapsedTime),
  );
  let pos = writeInt32Field(buf, 0, 0x08, summary.pointCount);
  pos = writeInt32Field(buf, pos, 0x10, summary.featureCount);
  pos = writeInt32Field(buf, pos, 0x18, summary.distance);
  writeInt32Field(buf, pos, 0x20, summary.elapsedTime);
  return buf;
}
