/**
 * `deno bench` microbenchmarks for lib/'s hot paths, each against the naive
 * version the reference servers use: exact-point lookup, rectangle query,
 * distance and message encoding/decoding, on a 100,000-feature database.
 * The codec rows also time protobufjs's generated codecs called directly
 * (no proto-loader `fromObject`/`toObject`): what lib/grpc/wire_encode.ts and wire_decode.ts is kept
 * against (BENCHMARKS.md).
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import protobuf from "protobufjs";
import descriptor from "../lib/gen/route_guide.descriptor.json" with {
  type: "json",
};
import { FeatureDatabase } from "../lib/domain/features.ts";
import { distance, distanceE7 } from "../lib/domain/geo.ts";
import { routeGuideServiceDefinition } from "../lib/grpc/proto.ts";
import type { Feature, Point } from "../lib/domain/types.ts";
import { encodeFeature, encodeRouteNote } from "../lib/grpc/wire_encode.ts";
import { decodePoint, decodeRouteNote } from "../lib/grpc/wire_decode.ts";
import { cachedEncoder } from "../lib/grpc/service_definition.ts";
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
  for (const _ of db.within(rect));
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
const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
const PointType = root.lookupType("routeguide.Point");
const FeatureType = root.lookupType("routeguide.Feature");
const NoteType = root.lookupType("routeguide.RouteNote");
let k = 0;
Deno.bench(
  "encode Feature: proto-loader",
  { group: "encode", baseline: true },
  () => {
    protoFeature.responseSerialize(stored[k++ % 1000]);
  },
);
Deno.bench("encode Feature: lib/grpc/wire_encode.ts and wire_decode.ts", {
  group: "encode",
}, () => {
  encodeFeature(stored[k++ % 1000]);
});
Deno.bench("encode Feature: protobufjs Type.encode directly", {
  group: "encode",
}, () => {
  FeatureType.encode(stored[k++ % 1000]).finish();
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
Deno.bench("decode Point: lib/grpc/wire_encode.ts and wire_decode.ts", {
  group: "decode point",
}, () => {
  decodePoint(pointBytes[k++ % 1000]);
});
Deno.bench("decode Point: protobufjs Type.decode directly", {
  group: "decode point",
}, () => {
  PointType.decode(pointBytes[k++ % 1000]);
});
Deno.bench("RouteNote round trip: proto-loader", {
  group: "note",
  baseline: true,
}, () => {
  protoNote.responseSerialize(protoNote.requestDeserialize(noteBytes));
});
Deno.bench("RouteNote round trip: lib/grpc/wire_encode.ts and wire_decode.ts", {
  group: "note",
}, () => {
  encodeRouteNote(decodeRouteNote(noteBytes));
});
Deno.bench("RouteNote round trip: protobufjs Type.decode + encode directly", {
  group: "note",
}, () => {
  NoteType.encode(NoteType.decode(noteBytes)).finish();
});
