/**
 * `deno bench` microbenchmarks for lib/'s hot paths, each against the naive
 * version the reference servers use: exact-point lookup, rectangle query,
 * distance and message encoding/decoding, on a 100,000-feature database.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { FeatureDatabase } from "../lib/features.ts";
import { distance, distanceE7 } from "../lib/geo.ts";
import { routeGuideServiceDefinition } from "../lib/proto.ts";
import type { Feature, Point } from "../lib/types.ts";
import {
  decodePoint,
  decodeRouteNote,
  encodeFeature,
  encodeRouteNote,
} from "../lib/wire.ts";
import { cachedEncoder } from "../lib/grpc_adapter.ts";
import { makeFeatures, makeRoute, shareRectangle } from "./data.ts";

const features = makeFeatures(100_000);
const db = new FeatureDatabase(features);
const route = makeRoute(features, 10_000);
const rect = shareRectangle(0.05);
const stored = db.features;

// The naive versions: what the reference servers do.
function naiveAt(point: Point): Feature | undefined {
  for (const f of features) {
    if (
      f.location!.latitude === point.latitude &&
      f.location!.longitude === point.longitude
    ) return f;
  }
}
const stringKeyed = new Map<string, Feature>();
for (const f of features) {
  stringKeyed.set(`${f.location!.latitude},${f.location!.longitude}`, f);
}

let i = 0;
const next = () => route[i++ % route.length];

Deno.bench("point lookup: naive linear scan", {
  group: "lookup",
  baseline: true,
}, () => {
  naiveAt(next());
});
Deno.bench(
  "point lookup: Map with string key (before)",
  { group: "lookup" },
  () => {
    const p = next();
    stringKeyed.get(`${p.latitude},${p.longitude}`);
  },
);
Deno.bench("point lookup: FeatureDatabase.at (typed-array hash)", {
  group: "lookup",
}, () => {
  db.at(next());
});

Deno.bench("rectangle query: naive filter", {
  group: "rectangle",
  baseline: true,
}, () => {
  features.filter(({ location }) =>
    location!.latitude >= rect.minLatitude &&
    location!.latitude <= rect.maxLatitude &&
    location!.longitude >= rect.minLongitude &&
    location!.longitude <= rect.maxLongitude
  );
});
Deno.bench("rectangle query: FeatureDatabase.within (kdbush)", {
  group: "rectangle",
}, () => {
  db.within(rect);
});

Deno.bench("distance: objects", { group: "distance", baseline: true }, () => {
  const a = next();
  distance(a, route[(i + 1) % route.length]);
});
Deno.bench("distance: distanceE7 on numbers", { group: "distance" }, () => {
  const a = next();
  const b = route[(i + 1) % route.length];
  distanceE7(a.latitude, a.longitude, b.latitude, b.longitude);
});

const protoFeature = routeGuideServiceDefinition.GetFeature;
const protoNote = routeGuideServiceDefinition.RouteChat;
const encodeCached = cachedEncoder(encodeFeature);
let k = 0;
Deno.bench(
  "encode Feature: proto-loader",
  { group: "encode", baseline: true },
  () => {
    protoFeature.responseSerialize(stored[k++ % 1000]);
  },
);
Deno.bench("encode Feature: lib/wire.ts (protobufjs direct)", {
  group: "encode",
}, () => {
  encodeFeature(stored[k++ % 1000]);
});
Deno.bench("encode Feature: cached bytes of a stored feature", {
  group: "encode",
}, () => {
  encodeCached(stored[k++ % 1000]);
});

const pointBytes = route.slice(0, 1000).map((p) =>
  protoFeature.requestSerialize(p) as Buffer
);
const note = { location: route[0], message: "Having lunch at work" };
const noteBytes = protoNote.requestSerialize(note) as Buffer;
Deno.bench("decode Point: proto-loader", {
  group: "decode point",
  baseline: true,
}, () => {
  protoFeature.requestDeserialize(pointBytes[k++ % 1000]);
});
Deno.bench("decode Point: lib/wire.ts (protobufjs direct)", {
  group: "decode point",
}, () => {
  decodePoint(pointBytes[k++ % 1000]);
});
Deno.bench("RouteNote round trip: proto-loader", {
  group: "note",
  baseline: true,
}, () => {
  protoNote.responseSerialize(protoNote.requestDeserialize(noteBytes));
});
Deno.bench("RouteNote round trip: lib/wire.ts (protobufjs direct)", {
  group: "note",
}, () => {
  encodeRouteNote(decodeRouteNote(noteBytes));
});
