/**
 * The feature database's indexes against brute force, and the feature file
 * loaders.
 */
import assert from "node:assert/strict";
import { type Bounds, FeatureDatabase, loadFeatureFile } from "../mod.ts";
import {
  FeatureFileError,
  parseFeatures,
} from "../lib/domain/feature_files.ts";
import { contains, normalizeRectangle } from "../lib/domain/geo.ts";
import type { Feature } from "../mod.ts";
import { feature, mulberry32, pt, writeDbFile } from "./helpers.ts";

const MAX_LAT = 900_000_000;
const MAX_LNG = 1_800_000_000;

/** The answer `within` must give: a scan in database order. */
function bruteForce(features: readonly Feature[], b: Bounds): Feature[] {
  return features.filter((f) =>
    f.location!.latitude >= b.minLatitude &&
    f.location!.latitude <= b.maxLatitude &&
    f.location!.longitude >= b.minLongitude &&
    f.location!.longitude <= b.maxLongitude
  );
}

/**
 * Random features clustered on a small grid (so duplicates and points on
 * rectangle edges are common), plus the world's corners and edges.
 */
function randomFeatures(random: () => number, count: number): Feature[] {
  const grid = (span: number, step: number) =>
    Math.round((random() * 2 - 1) * span / step) * step;
  const out: Feature[] = [];
  for (let i = 0; i < count; i++) {
    const coarse = random() < 0.5;
    out.push(feature(
      random() < 0.2 ? "" : `f${i}`,
      coarse ? grid(1000, 100) : grid(MAX_LAT, 1),
      coarse ? grid(1000, 100) : grid(MAX_LNG, 1),
    ));
  }
  for (const lat of [-MAX_LAT, 0, MAX_LAT]) {
    for (const lng of [-MAX_LNG, 0, MAX_LNG]) {
      out.splice(
        Math.floor(random() * out.length),
        0,
        feature("edge", lat, lng),
      );
    }
  }
  return out;
}

/** Rectangles from a point to the whole world, corners in any order. */
function randomRectangle(random: () => number, features: Feature[]) {
  const corner = () => {
    const r = random();
    if (r < 0.3 && features.length > 0) {
      // Exactly on a feature: tests that edges are inclusive.
      return features[Math.floor(random() * features.length)].location!;
    }
    if (r < 0.6) {
      return pt(
        Math.round((random() * 2 - 1) * 1100 / 100) * 100,
        Math.round((random() * 2 - 1) * 1100 / 100) * 100,
      );
    }
    return pt(
      Math.round((random() * 2 - 1) * MAX_LAT),
      Math.round((random() * 2 - 1) * MAX_LNG),
    );
  };
  const size = random();
  const lo = corner();
  if (size < 0.1) return { lo, hi: lo }; // a single point
  if (size < 0.15) {
    return { lo: pt(-MAX_LAT, -MAX_LNG), hi: pt(MAX_LAT, MAX_LNG) };
  }
  return { lo, hi: corner() };
}

for (
  const [seed, count] of [[1, 0], [2, 1], [3, 50], [4, 2_000], [5, 20_000]]
) {
  Deno.test(`within matches a brute-force scan on random data (seed ${seed}, ${count} features)`, () => {
    const random = mulberry32(seed);
    const features = count === 0 ? [] : randomFeatures(random, count);
    const db = new FeatureDatabase(features);
    assert.equal(db.size, features.length);
    let nonEmpty = 0;
    for (let q = 0; q < 300; q++) {
      const { lo, hi } = randomRectangle(random, features);
      const bounds = normalizeRectangle(lo, hi);
      const expected = bruteForce(features, bounds);
      const got = [...db.within(bounds)];
      assert.equal(got.length, expected.length, JSON.stringify(bounds));
      // Same objects, in database order.
      for (let i = 0; i < got.length; i++) {
        assert.equal(got[i], expected[i], `query ${q} item ${i}`);
      }
      assert.ok(got.every((f) => contains(bounds, f.location!)));
      if (got.length > 0) nonEmpty++;
    }
    // The queries are not all trivial: many hit something, some hit nothing.
    if (count >= 50) assert.ok(nonEmpty > 30 && nonEmpty < 300, `${nonEmpty}`);
  });
}

Deno.test("a block the bounds cover whole is answered whole, edges included, like a scan", () => {
  // 10,000 features along a meridian in database order: blocks of 4,096
  // hold latitudes 0-4095, 4096-8191 and 8192-9999.
  const features = Array.from(
    { length: 10_000 },
    (_, i) => feature(`f${i}`, i, i % 3),
  );
  const db = new FeatureDatabase(features);
  for (
    const [minLatitude, maxLatitude, minLongitude, maxLongitude] of [
      [4_096, 8_191, 0, 2], // the second block exactly
      [4_096, 8_191, 0, 1], // its box but one edge
      [0, 9_999, 0, 2], // everything
      [4_000, 8_200, -1, 3], // one block whole, parts of two
    ]
  ) {
    const bounds = { minLatitude, maxLatitude, minLongitude, maxLongitude };
    const expected = bruteForce(features, bounds);
    assert.deepEqual([...db.within(bounds)], expected);
    assert.deepEqual(
      Array.from(db.indicesWithin(bounds), (i) => db.features[i]),
      expected,
    );
  }
});

Deno.test("at finds the first feature at an exact point on random data, like a scan", () => {
  const random = mulberry32(6);
  const features = randomFeatures(random, 5_000);
  const db = new FeatureDatabase(features);
  const probes = [
    ...features.map((f) => f.location!),
    ...Array.from({ length: 2_000 }, () =>
      pt(
        Math.round((random() * 2 - 1) * 1000 / 100) * 100,
        Math.round((random() * 2 - 1) * 1000 / 100) * 100,
      )),
  ];
  for (const p of probes) {
    const expected = features.find((f) =>
      f.location!.latitude === p.latitude &&
      f.location!.longitude === p.longitude
    );
    assert.equal(db.at(p), expected);
  }
});

Deno.test("an empty database answers nothing", () => {
  const db = new FeatureDatabase([]);
  assert.equal(db.size, 0);
  assert.equal(db.at(pt(0, 0)), undefined);
  assert.deepEqual(
    [...db.within(
      normalizeRectangle(pt(-MAX_LAT, -MAX_LNG), pt(MAX_LAT, MAX_LNG)),
    )],
    [],
  );
});

Deno.test("parseFeatures reads the classic route_guide_db.json format", () => {
  const text = JSON.stringify([
    {
      location: { latitude: 407838351, longitude: -746143763 },
      name: "Patriots Path",
    },
    { location: { latitude: 408122808, longitude: -743999179 }, name: "" },
    // proto3 JSON leaves out zeros and empty strings.
    { location: { longitude: 5 } },
  ]);
  assert.deepEqual(parseFeatures(text, "db.json"), [
    feature("Patriots Path", 407838351, -746143763),
    feature("", 408122808, -743999179),
    feature("", 0, 5),
  ]);
});

Deno.test("parseFeatures reads a GeoJSON FeatureCollection of Points, degrees to E7", () => {
  const text = JSON.stringify({
    type: "FeatureCollection",
    features: [
      {
        type: "Feature",
        geometry: { type: "Point", coordinates: [2.3522219, 48.856614] },
        properties: { name: "Paris" },
      },
      {
        type: "Feature",
        geometry: { type: "Point", coordinates: [-180, -90] },
        properties: {},
      },
    ],
  });
  assert.deepEqual(parseFeatures(text, "cities.geojson"), [
    feature("Paris", 488_566_140, 23_522_219),
    feature("", -900_000_000, -1_800_000_000),
  ]);
});

Deno.test("parseFeatures names the file and the first bad entry", () => {
  const cases: [string, RegExp][] = [
    ["{not json", /^db\.json: not valid JSON/],
    ['{"type":"Topology"}', /^db\.json: expected a JSON array/],
    [
      JSON.stringify([
        feature("ok", 1, 1),
        { location: { latitude: 1.5, longitude: 2 }, name: "half" },
        { location: { latitude: "x" } },
      ]),
      /^db\.json: entry 2: .*integers.*"half"/,
    ],
    [
      JSON.stringify([feature("ok", 1, 1), feature("north", 900_000_001, 0)]),
      /^db\.json: entry 2: location is outside/,
    ],
    [
      JSON.stringify([feature("ok", 1, 1), 42]),
      /^db\.json: entry 2: not an object/,
    ],
    [
      JSON.stringify([feature("ok", 1, 1), { name: "nowhere" }]),
      /^db\.json: entry 2: location is missing/,
    ],
    [
      JSON.stringify([{ name: "text", location: "1,2" }]),
      /^db\.json: entry 1: location is missing or not an object/,
    ],
    [
      JSON.stringify({
        type: "FeatureCollection",
        features: [{
          type: "Feature",
          geometry: { type: "LineString", coordinates: [[0, 0], [1, 1]] },
        }],
      }),
      /^db\.json: entry 1: geometry is not a Point/,
    ],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => parseFeatures(text, "db.json"), (error: unknown) => {
      assert.ok(error instanceof FeatureFileError);
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes("\n"), "one line");
      return true;
    });
  }
});

Deno.test("loadFeatureFile reads a file and names it when it cannot", async () => {
  const path = await writeDbFile([feature("x", 1, 2)]);
  try {
    assert.deepEqual(await loadFeatureFile(path), [feature("x", 1, 2)]);
  } finally {
    await Deno.remove(path);
  }
  await assert.rejects(loadFeatureFile(`${path}.missing`), (error: unknown) => {
    assert.ok(error instanceof FeatureFileError);
    assert.match(error.message, new RegExp(`^${path}\\.missing: cannot read`));
    return true;
  });
});
