/**
 * The hand-written codec (lib/grpc/wire_encode.ts and wire_decode.ts) against protobufjs via proto-loader
 * (what grpc-js would use otherwise): the same messages both ways, on
 * seeded random data, the exact bytes it writes, and the edge cases of the
 * wire format.
 */
import assert from "node:assert/strict";
import { mulberry32 } from "./helpers.ts";
import { Buffer } from "node:buffer";
import { routeGuideServiceDefinition } from "../lib/grpc/proto.ts";
import { cachedEncoder } from "../lib/grpc/service_definition.ts";
import type { Feature, Point, Rectangle, RouteNote } from "../mod.ts";
import {
  encodeFeature,
  encodePoint,
  encodeRectangle,
  encodeRouteNote,
  encodeRouteSummary,
} from "../lib/grpc/wire_encode.ts";
import {
  decodeFeature,
  decodePoint,
  decodeRectangle,
  decodeRouteNote,
} from "../lib/grpc/wire_decode.ts";

const { GetFeature, ListFeatures, RecordRoute, RouteChat } =
  routeGuideServiceDefinition;
// proto-loader's codecs for each message type.
const proto = {
  encodePoint: (p: Point) => GetFeature.requestSerialize(p) as Buffer,
  decodePoint: (b: Buffer) => GetFeature.requestDeserialize(b) as Point,
  encodeFeature: (f: Feature) => GetFeature.responseSerialize(f) as Buffer,
  decodeFeature: (b: Buffer) => GetFeature.responseDeserialize(b) as Feature,
  encodeRectangle: (r: Rectangle) => ListFeatures.requestSerialize(r) as Buffer,
  decodeRectangle: (b: Buffer) =>
    ListFeatures.requestDeserialize(b) as Rectangle,
  encodeNote: (n: RouteNote) => RouteChat.requestSerialize(n) as Buffer,
  decodeNote: (b: Buffer) => RouteChat.requestDeserialize(b) as RouteNote,
  decodeSummary: (b: Buffer) => RecordRoute.responseDeserialize(b),
};

const next = mulberry32(42);
const int32 = () => {
  const r = next();
  // Zeros, small, negative and extreme values all show up.
  if (r < 0.1) return 0;
  if (r < 0.2) return Math.floor(next() * 200) - 100;
  if (r < 0.25) return next() < 0.5 ? 2 ** 31 - 1 : -(2 ** 31);
  return Math.floor(next() * 2 ** 32) - 2 ** 31;
};
const TEXTS = [
  "",
  "Paris",
  "Zürich",
  "東京",
  "🚲 ride",
  "a\u0000b",
  "x".repeat(300),
];
const text = () => TEXTS[Math.floor(next() * TEXTS.length)];
const point = (): Point => ({ latitude: int32(), longitude: int32() });
const maybePoint = () => next() < 0.2 ? null : point();

Deno.test("wire decodes what protobufjs encodes, for every message, on random data", () => {
  for (let i = 0; i < 2_000; i++) {
    const p = point();
    assert.deepEqual(decodePoint(proto.encodePoint(p)), p);
    const f = { name: text(), location: maybePoint() };
    assert.deepEqual(decodeFeature(proto.encodeFeature(f)), f);
    const r = { lo: maybePoint(), hi: maybePoint() };
    assert.deepEqual(decodeRectangle(proto.encodeRectangle(r)), r);
    const n = { location: maybePoint(), message: text() };
    assert.deepEqual(decodeRouteNote(proto.encodeNote(n)), n);
  }
});

Deno.test("protobufjs decodes what wire encodes, for every message, on random data", () => {
  for (let i = 0; i < 2_000; i++) {
    const p = point();
    assert.deepEqual(proto.decodePoint(encodePoint(p)), p);
    const f = { name: text(), location: maybePoint() };
    assert.deepEqual(proto.decodeFeature(encodeFeature(f)), f);
    const r = { lo: maybePoint(), hi: maybePoint() };
    assert.deepEqual(proto.decodeRectangle(encodeRectangle(r)), r);
    const n = { location: maybePoint(), message: text() };
    assert.deepEqual(proto.decodeNote(encodeRouteNote(n)), n);
    const s = {
      pointCount: int32(),
      featureCount: int32(),
      distance: int32(),
      elapsedTime: int32(),
    };
    assert.deepEqual(proto.decodeSummary(encodeRouteSummary(s)), s);
  }
});

Deno.test("wire writes canonical proto3 bytes as Node Buffers: defaults omitted, fields in number order", () => {
  const cases: [Buffer, string][] = [
    [encodePoint({ latitude: 0, longitude: -1 }), "10ffffffffffffffffff01"],
    [
      encodeFeature({
        name: "Zürich",
        location: { latitude: 473_769_000, longitude: 0 },
      }),
      "0a075ac3bc72696368120608a8c8f4e101",
    ],
    [encodeFeature({ name: "", location: null }), ""],
    [
      encodeRouteNote({
        location: { latitude: 0, longitude: 0 },
        message: "hi",
      }),
      "0a0012026869",
    ],
    [
      encodeRectangle({ lo: null, hi: { latitude: 1, longitude: 2 } }),
      "120408011002",
    ],
    [
      encodeRouteSummary({
        pointCount: 0,
        featureCount: 3,
        distance: 0,
        elapsedTime: 300,
      }),
      "100320ac02",
    ],
  ];
  for (const [bytes, hex] of cases) {
    // grpc-js frames a serializer's output with Buffer methods.
    assert.ok(Buffer.isBuffer(bytes));
    assert.equal(bytes.toString("hex"), hex);
  }
});

Deno.test("wire skips unknown fields of every wire type and keeps the last value of a repeated field", () => {
  const bytes = new Uint8Array([
    0x08,
    0x05, // latitude 5
    0x18,
    0x96,
    0x01, // field 3 varint
    0x21,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8, // field 4 fixed64
    0x2a,
    0x02,
    0xff,
    0xff, // field 5 length-delimited
    0x35,
    1,
    2,
    3,
    4, // field 6 fixed32
    0x3b,
    0x08,
    0x01,
    0x3c, // field 7 group holding a varint
    0x10,
    0x07, // longitude 7
    0x08,
    0x09, // latitude again: the last one wins
  ]);
  assert.deepEqual(decodePoint(bytes), { latitude: 9, longitude: 7 });
});

Deno.test("wire rejects truncated and malformed messages", () => {
  const note = encodeRouteNote({
    location: { latitude: -1, longitude: 2 },
    message: "hello",
  });
  // Cut anywhere but between the two fields (a valid, shorter note).
  const boundary = 2 + note[1];
  for (let cut = 1; cut < note.length; cut++) {
    if (cut === boundary) continue;
    assert.throws(() => decodeRouteNote(note.subarray(0, cut)), RangeError);
  }
  // An eleven-byte varint, and wire type 7.
  assert.throws(
    () => decodePoint(new Uint8Array([0x08, ...Array(10).fill(0xff), 0x01])),
    RangeError,
  );
  assert.throws(() => decodePoint(new Uint8Array([0x0f, 0x00])), RangeError);
});

Deno.test("a frozen message is encoded once; an unfrozen one every time", () => {
  let calls = 0;
  const encode = cachedEncoder((f: Feature) => {
    calls++;
    return encodeFeature(f);
  });
  const stored = Object.freeze({
    name: "Here",
    location: Object.freeze({ latitude: 1, longitude: 2 }),
  });
  assert.equal(encode(stored), encode(stored));
  assert.equal(calls, 1);
  const loose = { name: "There", location: { latitude: 3, longitude: 4 } };
  encode(loose);
  loose.name = "Elsewhere";
  assert.deepEqual(proto.decodeFeature(encode(loose)), loose);
  assert.equal(calls, 3);
});
