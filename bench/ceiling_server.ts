/**
 * The ceiling: the least work grpc-js allows for RouteGuide on this
 * runtime. Identity serializers (requests arrive and answers leave as raw
 * bytes), every stored feature encoded once at load, requests decoded by
 * hand, notes kept as the bytes they arrived in, no validation, no bounds,
 * no logging, streamed answers written ahead and bounded (lib/grpc/outbound.ts) and a
 * call's handler let go of when the call ends (lib/grpc/forwarding_call.ts):
 * grpc-js interceptors, so within what grpc-js allows. It answers
 * correctly, so that the load generator measures the same work as on the
 * other servers.
 *
 * Usage: deno run -P=bench bench/ceiling_server.ts --db FILE
 * Prints "listening on PORT" once bound to 127.0.0.1.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import { FeatureDatabase } from "../lib/domain/features.ts";
import { distanceE7 } from "../lib/domain/geo.ts";
import { routeGuideServiceDefinition } from "../lib/grpc/proto.ts";
import type { Feature } from "../lib/domain/types.ts";
import { encodeFeature, encodeRouteSummary } from "../lib/grpc/wire_encode.ts";
import { OutboundBudget } from "../lib/grpc/outbound.ts";
import { DEFAULT_LIMITS } from "../lib/grpc/limits.ts";
import "../lib/grpc/grpc_js_fixes.ts";

const { values } = parseArgs({ options: { db: { type: "string" } } });
const features: Feature[] = JSON.parse(await Deno.readTextFile(values.db!));
const db = new FeatureDatabase(features);
const encoded = features.map(encodeFeature);

// Hand decoding of the two int32 fields of a Point at buf[start..end).
let lat = 0;
let lng = 0;
function varint(buf: Buffer, i: number): number {
  let value = 0;
  let shift = 0;
  let b;
  do {
    b = buf[i++];
    if (shift < 32) value |= (b & 0x7f) << shift;
    shift += 7;
  } while (b >= 0x80);
  lat = value | 0; // callers move it where it belongs
  return i;
}
function readPoint(buf: Buffer, start: number, end: number): void {
  let la = 0;
  let ln = 0;
  let i = start;
  while (i < end) {
    const tag = buf[i];
    i = varint(buf, i + 1);
    if (tag === 0x08) la = lat;
    else ln = lat;
  }
  lat = la;
  lng = ln;
}

const identity = (buf: Buffer) => buf;
const definition: grpc.ServiceDefinition = Object.fromEntries(
  Object.entries(routeGuideServiceDefinition).map(([name, method]) => [
    name,
    { ...method, requestDeserialize: identity, responseSerialize: identity },
  ]),
);

const notes = new Map<string, Buffer[]>();

const server = new grpc.Server({
  interceptors: [new OutboundBudget(DEFAULT_LIMITS).interceptor()],
});
server.addService(definition, {
  GetFeature(
    call: grpc.ServerUnaryCall<Buffer, Buffer>,
    callback: grpc.sendUnaryData<Buffer>,
  ) {
    const req = call.request;
    readPoint(req, 0, req.length);
    const i = db.indexOf(lat, lng);
    if (i >= 0) return callback(null, encoded[i]);
    // An unnamed feature: field 2 wrapping the request's own Point bytes.
    const out = Buffer.allocUnsafe(req.length + 2);
    out[0] = 0x12;
    out[1] = req.length;
    req.copy(out, 2);
    callback(null, out);
  },
  ListFeatures(call: grpc.ServerWritableStream<Buffer, Buffer>) {
    const req = call.request;
    // Rectangle: lo (field 1) then hi (field 2), each a length-prefixed Point.
    readPoint(req, 2, 2 + req[1]);
    const loLat = lat, loLng = lng;
    const hiStart = 2 + req[1] + 2;
    readPoint(req, hiStart, hiStart + req[hiStart - 1]);
    const ids = db.indicesWithin({
      minLatitude: Math.min(loLat, lat),
      maxLatitude: Math.max(loLat, lat),
      minLongitude: Math.min(loLng, lng),
      maxLongitude: Math.max(loLng, lng),
    });
    // Pausing at a full buffer until `drain` is faster than queueing every
    // message at once (grpc-js and http2 then buffer thousands).
    let k = 0;
    const more = () => {
      while (k < ids.length) {
        if (!call.write(encoded[ids[k++]])) return call.once("drain", more);
      }
      call.end();
    };
    more();
  },
  RecordRoute(
    call: grpc.ServerReadableStream<Buffer, Buffer>,
    callback: grpc.sendUnaryData<Buffer>,
  ) {
    const start = performance.now();
    let pointCount = 0;
    let featureCount = 0;
    let metres = 0;
    let prevLat = 0;
    let prevLng = 0;
    call.on("data", (buf: Buffer) => {
      readPoint(buf, 0, buf.length);
      if (pointCount++ > 0) metres += distanceE7(prevLat, prevLng, lat, lng);
      if (db.indexOf(lat, lng) >= 0) featureCount++;
      prevLat = lat;
      prevLng = lng;
    });
    call.on("end", () =>
      callback(
        null,
        encodeRouteSummary({
          pointCount,
          featureCount,
          distance: Math.min(Math.trunc(metres), 2 ** 31 - 1),
          elapsedTime: Math.trunc((performance.now() - start) / 1000),
        }),
      ));
  },
  RouteChat(call: grpc.ServerDuplexStream<Buffer, Buffer>) {
    call.on("data", (buf: Buffer) => {
      // The location is field 1, first on the wire from every client here.
      const key = buf.toString("latin1", 2, 2 + buf[1]);
      const earlier = notes.get(key);
      if (earlier === undefined) notes.set(key, [buf]);
      else {
        for (let k = 0; k < earlier.length; k++) call.write(earlier[k]);
        earlier.push(buf);
      }
    });
    call.on("end", () => call.end());
  },
});
server.bindAsync(
  "127.0.0.1:0",
  grpc.ServerCredentials.createInsecure(),
  (error, port) => {
    if (error) throw error;
    console.log(`listening on ${port}`);
  },
);
