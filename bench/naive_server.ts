/**
 * The naive baseline: the official route_guide examples' logic ported to
 * Deno over grpc-js (the Node example, line for line in spirit): a plain
 * feature list scanned on every GetFeature, RecordRoute point and
 * ListFeatures call, every message encoded afresh by proto-loader, notes in
 * a plain object keyed by "lat lng", no validation, no bounds.
 *
 * Usage: deno run -P=bench bench/naive_server.ts --db FILE
 * Prints "listening on PORT" once bound to 127.0.0.1.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import process from "node:process";
import { parseArgs } from "node:util";
import { distance } from "../lib/domain/geo.ts";
import { routeGuideServiceDefinition } from "../lib/grpc/proto.ts";
import type { Feature, Point, RouteNote } from "../lib/domain/types.ts";

const { values } = parseArgs({ options: { db: { type: "string" } } });
const featureList: Feature[] = JSON.parse(await Deno.readTextFile(values.db!));

function checkFeature(point: Point): Feature {
  for (const feature of featureList) {
    if (
      feature.location!.latitude === point.latitude &&
      feature.location!.longitude === point.longitude
    ) return feature;
  }
  return { name: "", location: point };
}

const routeNotes: Record<string, RouteNote[]> = {};
const pointKey = (point: Point) => point.latitude + " " + point.longitude;

const server = new grpc.Server();
server.addService(routeGuideServiceDefinition, {
  GetFeature(
    call: grpc.ServerUnaryCall<Point, Feature>,
    callback: grpc.sendUnaryData<Feature>,
  ) {
    callback(null, checkFeature(call.request));
  },
  ListFeatures(
    call: grpc.ServerWritableStream<{ lo: Point; hi: Point }, Feature>,
  ) {
    const { lo, hi } = call.request;
    const left = Math.min(lo.longitude, hi.longitude);
    const right = Math.max(lo.longitude, hi.longitude);
    const top = Math.max(lo.latitude, hi.latitude);
    const bottom = Math.min(lo.latitude, hi.latitude);
    for (const feature of featureList) {
      if (feature.name === "") continue;
      const { latitude, longitude } = feature.location!;
      if (
        longitude >= left && longitude <= right && latitude >= bottom &&
        latitude <= top
      ) call.write(feature);
    }
    call.end();
  },
  RecordRoute(
    call: grpc.ServerReadableStream<Point, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ) {
    let pointCount = 0;
    let featureCount = 0;
    let metres = 0;
    let previous: Point | null = null;
    const start = process.hrtime();
    call.on("data", (point: Point) => {
      pointCount++;
      if (checkFeature(point).name !== "") featureCount++;
      if (previous) metres += distance(previous, point);
      previous = point;
    });
    call.on("end", () => {
      callback(null, {
        pointCount,
        featureCount,
        distance: Math.floor(metres),
        elapsedTime: process.hrtime(start)[0],
      });
    });
  },
  RouteChat(call: grpc.ServerDuplexStream<RouteNote, RouteNote>) {
    call.on("data", (note: RouteNote) => {
      const key = pointKey(note.location!);
      if (Object.hasOwn(routeNotes, key)) {
        for (const earlier of routeNotes[key]) call.write(earlier);
      } else {
        routeNotes[key] = [];
      }
      routeNotes[key].push(JSON.parse(JSON.stringify(note)));
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
