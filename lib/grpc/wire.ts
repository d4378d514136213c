/**
 * Hand-written protobuf encoding and decoding of the RouteGuide messages:
 * the same wire format as protobufjs, without its reflection and
 * `toObject` steps, which dominate a small message's cost. Decoded objects
 * have the shapes proto-loader gives with `defaults: true` (every field
 * present, absent messages as `null`); unknown fields are skipped. A string
 * field whose bytes are not UTF-8 decodes to a lone surrogate, which no
 * UTF-8 decodes to, so that validation can reject it (`checkNote`) with
 * INVALID_ARGUMENT: grpc-js answers any decode error with INTERNAL.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type {
  Feature,
  Point,
  Rectangle,
  RouteNote,
  RouteSummary,
} from "../domain/types.ts";

// Wire types.
const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;

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

function pointBodySize(point: Point): number {
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
  point: Point,
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
// `ignoreBOM`: a message that starts with U+FEFF keeps it.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const strictDecoder = new TextDecoder("utf-8", {
  fatal: true,
  ignoreBOM: true,
});

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
  point: Point | null,
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
 * import { encodeFeature } from "./wire.ts";
 * encodeFeature({ name: "A", location: { latitude: 1, longitude: 2 } });
 * // <0a 01 41 12 04 08 01 10 02>
 * ```
 */
export function encodeFeature(feature: Feature): Buffer {
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
 * import { encodeRouteNote } from "./wire.ts";
 * encodeRouteNote({ location: { latitude: 1, longitude: 1 }, message: "hi" });
 * // <0a 04 08 01 10 01 12 02 68 69>
 * ```
 */
export function encodeRouteNote(note: RouteNote): Buffer {
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
 * import { encodeRectangle } from "./wire.ts";
 * encodeRectangle({ lo: { latitude: 1, longitude: 0 }, hi: null }); // <0a 02 08 01>
 * ```
 */
export function encodeRectangle(rectangle: Rectangle): Buffer {
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
 * import { encodeRouteSummary } from "./wire.ts";
 * encodeRouteSummary({ pointCount: 2, featureCount: 0, distance: 0, elapsedTime: 0 });
 * // <08 02>
 * ```
 */
export function encodeRouteSummary(summary: RouteSummary): Buffer {
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

// -------------------------------------------------------------- reading

// The read position, shared by the readers below (one decode at a time:
// decoding is synchronous), so that reading allocates nothing.
let at = 0;

function truncated(): never {
  throw new RangeError("protobuf message is truncated");
}

/** Reads a varint; returns its low 32 bits as an int32. */
function readVarint(buf: Uint8Array, end: number): number {
  let b = buf[at++];
  let value = b & 0x7f;
  if (b >= 0x80) {
    b = buf[at++];
    value |= (b & 0x7f) << 7;
    if (b >= 0x80) {
      b = buf[at++];
      value |= (b & 0x7f) << 14;
      if (b >= 0x80) {
        b = buf[at++];
        value |= (b & 0x7f) << 21;
        if (b >= 0x80) {
          b = buf[at++];
          value |= b << 28;
          // Up to five more bytes of a 64-bit varint: beyond int32.
          for (let i = 0; b >= 0x80 && i < 5; i++) b = buf[at++];
          if (b >= 0x80) throw new RangeError("protobuf varint is too long");
        }
      }
    }
  }
  if (at > end) truncated();
  return value | 0;
}

function skipField(buf: Uint8Array, end: number, wireType: number): void {
  switch (wireType) {
    case VARINT:
      readVarint(buf, end);
      return;
    case FIXED64:
      at += 8;
      break;
    case LENGTH: {
      // Read the length first: `at += readVarint()` would add to the old `at`.
      const length = readVarint(buf, end) >>> 0;
      at += length;
      break;
    }
    case FIXED32:
      at += 4;
      break;
    case START_GROUP:
      for (;;) {
        const tag = readVarint(buf, end);
        if ((tag & 7) === END_GROUP) break;
        skipField(buf, end, tag & 7);
      }
      return;
    default:
      throw new RangeError(`protobuf wire type ${wireType} is invalid`);
  }
  if (at > end) truncated();
}

function readPoint(buf: Uint8Array, end: number): Point {
  let latitude = 0;
  let longitude = 0;
  while (at < end) {
    const tag = readVarint(buf, end);
    if (tag === 0x08) latitude = readVarint(buf, end);
    else if (tag === 0x10) longitude = readVarint(buf, end);
    else skipField(buf, end, tag & 7);
  }
  return { latitude, longitude };
}

/** Reads a length-delimited Point field's body. */
function readPointField(buf: Uint8Array, end: number): Point {
  const length = readVarint(buf, end) >>> 0;
  const stop = at + length;
  if (stop > end) truncated();
  return readPoint(buf, stop);
}

// Character codes of a short ASCII string, one reused array per length.
// A string made from them in one go is flat, where `+=` per character
// keeps a chain of 32-byte cons strings until V8 flattens it (850 bytes of
// heap for 32 characters); resizing one array cost more than the copy.
const CODES = Array.from({ length: 33 }, (_, n) => Array<number>(n).fill(0));

/** What a string field whose bytes are not UTF-8 decodes to. */
const NOT_UTF8 = "\ud800";

function readString(buf: Uint8Array, end: number): string {
  const length = readVarint(buf, end) >>> 0;
  const start = at;
  const stop = at + length;
  if (stop > end) truncated();
  at = stop;
  if (length > 32) return readUtf8(buf.subarray(start, stop));
  // Short strings: ASCII directly, anything else through TextDecoder.
  const codes = CODES[length];
  for (let i = 0; i < length; i++) {
    const c = buf[start + i];
    if (c >= 0x80) return readUtf8(buf.subarray(start, stop));
    codes[i] = c;
  }
  return String.fromCharCode.apply(null, codes);
}

function readUtf8(bytes: Uint8Array): string {
  // The fast decoder replaces bad bytes with U+FFFD (a fatal one takes
  // 2-5 times as long): only a U+FFFD needs a second look, to tell a bad
  // byte from a real U+FFFD.
  const text = decoder.decode(bytes);
  if (!text.includes("\ufffd")) return text;
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return NOT_UTF8;
  }
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
  at = 0;
  return readPoint(buf, buf.length);
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
  const end = buf.length;
  let lo: Point | null = null;
  let hi: Point | null = null;
  at = 0;
  while (at < end) {
    const tag = readVarint(buf, end);
    if (tag === 0x0a) lo = readPointField(buf, end);
    else if (tag === 0x12) hi = readPointField(buf, end);
    else skipField(buf, end, tag & 7);
  }
  return { lo, hi };
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
  const end = buf.length;
  let location: Point | null = null;
  let message = "";
  at = 0;
  while (at < end) {
    const tag = readVarint(buf, end);
    if (tag === 0x0a) location = readPointField(buf, end);
    else if (tag === 0x12) message = readString(buf, end);
    else skipField(buf, end, tag & 7);
  }
  return { location, message };
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
  const end = buf.length;
  let name = "";
  let location: Point | null = null;
  at = 0;
  while (at < end) {
    const tag = readVarint(buf, end);
    if (tag === 0x0a) name = readString(buf, end);
    else if (tag === 0x12) location = readPointField(buf, end);
    else skipField(buf, end, tag & 7);
  }
  return { name, location };
}
