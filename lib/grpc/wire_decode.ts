/**
 * Hand-written protobuf decoding of the RouteGuide messages: the same wire
 * format as protobufjs, without its reflection and `toObject` steps, which
 * dominate a small message's cost (encoding is in `wire_encode.ts`). Decoded objects
 * have the shapes proto-loader gives with `defaults: true` (every field
 * present, absent messages as `null`); unknown fields are skipped. A string
 * field whose bytes are not UTF-8 decodes to a lone surrogate, which no
 * UTF-8 decodes to, so that validation can reject it (`checkNote`) with
 * INVALID_ARGUMENT: grpc-js answers any decode error with INTERNAL.
 *
 * @module
 */
import type { Feature, Point, Rectangle, RouteNote } from "../domain/types.ts";

enum WireType {
  Varint = 0,
  Fixed64 = 1,
  Length = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
}

// `ignoreBOM`: a message that starts with U+FEFF keeps it.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const strictDecoder = new TextDecoder("utf-8", {
  fatal: true,
  ignoreBOM: true,
});

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
    case WireType.Varint:
      readVarint(buf, end);
      return;
    case WireType.Fixed64:
      at += 8;
      break;
    case WireType.Length: {
      // Read the length first: `at += readVarint()` would add to the old `at`.
      const length = readVarint(buf, end) >>> 0;
      at += length;
      break;
    }
    case WireType.Fixed32:
      at += 4;
      break;
    case WireType.StartGroup:
      for (;;) {
        const tag = readVarint(buf, end);
        if ((tag & 7) === WireType.EndGroup) break;
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

// Rectangle, RouteNote and Feature each have two length-delimited fields,
// 1 and 2: one scan finds where the last of each starts (-1: absent), and
// the message's decoder reads them from there.
let field1 = -1;
let field2 = -1;

function scanFields(buf: Uint8Array): void {
  const end = buf.length;
  field1 = field2 = -1;
  at = 0;
  while (at < end) {
    const tag = readVarint(buf, end);
    if (tag === 0x0a) field1 = at;
    else if (tag === 0x12) field2 = at;
    skipField(buf, end, tag & 7);
  }
}

function pointAt(buf: Uint8Array, field: number): Point | null {
  if (field < 0) return null;
  at = field;
  return readPointField(buf, buf.length);
}

function stringAt(buf: Uint8Array, field: number): string {
  if (field < 0) return "";
  at = field;
  return readString(buf, buf.length);
}

/**
 * Decodes a Point; absent fields are 0.
 *
 * @example
 * ```ts
 * import { decodePoint } from "./wire_decode.ts";
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
 * import { decodeRectangle } from "./wire_decode.ts";
 * decodeRectangle(new Uint8Array([0x0a, 0x02, 0x08, 0x01]));
 * // { lo: { latitude: 1, longitude: 0 }, hi: null }
 * ```
 */
export function decodeRectangle(buf: Uint8Array): Rectangle {
  scanFields(buf);
  return { lo: pointAt(buf, field1), hi: pointAt(buf, field2) };
}

/**
 * Decodes a RouteNote; an absent location is `null`, an absent message "".
 *
 * @example
 * ```ts
 * import { decodeRouteNote } from "./wire_decode.ts";
 * decodeRouteNote(new Uint8Array([0x12, 0x02, 0x68, 0x69]));
 * // { location: null, message: "hi" }
 * ```
 */
export function decodeRouteNote(buf: Uint8Array): RouteNote {
  scanFields(buf);
  return { location: pointAt(buf, field1), message: stringAt(buf, field2) };
}

/**
 * Decodes a Feature; an absent location is `null`, an absent name "".
 *
 * @example
 * ```ts
 * import { decodeFeature } from "./wire_decode.ts";
 * decodeFeature(new Uint8Array([0x0a, 0x01, 0x41])); // { name: "A", location: null }
 * ```
 */
export function decodeFeature(buf: Uint8Array): Feature {
  scanFields(buf);
  return { name: stringAt(buf, field1), location: pointAt(buf, field2) };
}
