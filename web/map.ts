/// <reference lib="dom" />
/**
 * The map: world outlines (Natural Earth 1:110m, bundled, so no tile server
 * is needed) in an equirectangular projection on a canvas, with the listed
 * features as points, the dragged rectangle, a route and a marker. In this
 * projection a latitude/longitude box is a screen rectangle, so screen and
 * map coordinates convert with one scale and one offset.
 *
 * @module
 */
// @ts-types="@types/d3-geo"
import { geoEquirectangular, geoGraticule10, geoPath } from "d3-geo";
// @ts-types="@types/topojson-client"
import { feature } from "topojson-client";
import world from "world-atlas/countries-110m.json" with { type: "json" };
import { fromE7 } from "../lib/domain/geo.ts";
import type { Point } from "../lib/domain/types.ts";

/** A box in degrees. */
export interface Box {
  west: number;
  south: number;
  east: number;
  north: number;
}

/** The whole world. */
export const WORLD_BOX: Box = { west: -180, south: -90, east: 180, north: 90 };

type Topology = Parameters<typeof feature>[0];
const topology = world as unknown as Topology;
const COUNTRIES = feature(topology, topology.objects.countries);
const GRATICULE = geoGraticule10();

const COLOURS = {
  outside: "#e9edf1",
  sea: "#d9e8f3",
  graticule: "#cadcea",
  land: "#fbfaf5",
  border: "#a9a290",
  // See-through, so that dense areas read as density.
  point: "rgba(209, 73, 46, 0.6)",
  selection: "#1f6fd6",
  route: "#6b3fd0",
  marker: "#0f8a5f",
  text: "#1d2733",
};

/**
 * The map on a canvas. Features are kept as E7 integers in growing typed
 * arrays: a world listing is ~135,000 points, drawn every frame while they
 * stream in.
 */
export class WorldMap {
  readonly canvas: HTMLCanvasElement;
  /** The dragged rectangle, while dragging and while its features list. */
  selection: Box | undefined;
  /** The route being drawn, in E7. */
  route: Point[] = [];
  /** Whether the route has been recorded (drawn solid, not dashed). */
  routeRecorded = false;
  /** The chat location or the clicked feature, with an optional label. */
  marker: { point: Point; label: string } | undefined;

  readonly #context: CanvasRenderingContext2D;
  readonly #land = layer();
  readonly #points = layer();
  #pointsDrawn = 0;
  #latitudes = new Int32Array(4096);
  #longitudes = new Int32Array(4096);
  #count = 0;
  // Pixels per degree, and where longitude 0 / latitude 0 fall (CSS px).
  #scale = 1;
  #x0 = 0;
  #y0 = 0;
  #view: Box = WORLD_BOX;
  #width = 0;
  #height = 0;
  #frame = 0;

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    this.#context = canvas.getContext("2d")!;
    new ResizeObserver(() => this.fit(this.#view)).observe(canvas);
  }

  /** How many features are on the map. */
  get featureCount(): number {
    return this.#count;
  }

  /** Screen position (CSS px in the canvas) of a point in degrees. */
  toScreen(latitude: number, longitude: number): [number, number] {
    return [
      this.#x0 + longitude * this.#scale,
      this.#y0 - latitude * this.#scale,
    ];
  }

  /** The degrees under a screen position, clamped to the world. */
  toDegrees(x: number, y: number): [number, number] {
    const [latitude, longitude] = this.#unclamped(x, y);
    return [clamp(latitude, -90, 90), clamp(longitude, -180, 180)];
  }

  #unclamped(x: number, y: number): [number, number] {
    return [(this.#y0 - y) / this.#scale, (x - this.#x0) / this.#scale];
  }

  /** Shows `box` whole, centred, as large as the canvas allows. */
  fit(box: Box): void {
    const { width, height } = this.canvas.getBoundingClientRect();
    if (width === 0 || height === 0) return;
    this.#width = width;
    this.#height = height;
    const spanX = Math.max(box.east - box.west, 1e-4);
    const spanY = Math.max(box.north - box.south, 1e-4);
    this.#scale = Math.min(width / spanX, height / spanY);
    this.#x0 = width / 2 - ((box.west + box.east) / 2) * this.#scale;
    this.#y0 = height / 2 + ((box.south + box.north) / 2) * this.#scale;
    this.#view = box;
    this.#resize(width, height);
  }

  /** Zooms by `factor` keeping the degrees under (x, y) in place. */
  zoom(factor: number, x: number, y: number): void {
    const scale = clamp(this.#scale * factor, this.#minScale(), 200_000);
    const [latitude, longitude] = this.#unclamped(x, y);
    this.#scale = scale;
    this.#x0 = x - longitude * scale;
    this.#y0 = y + latitude * scale;
    this.#view = this.#visible();
    this.#resize(...this.#size());
  }

  /** Adds a listed feature. */
  addFeature(point: Point): void {
    if (this.#count === this.#latitudes.length) {
      this.#latitudes = grow(this.#latitudes);
      this.#longitudes = grow(this.#longitudes);
    }
    this.#latitudes[this.#count] = point.latitude;
    this.#longitudes[this.#count++] = point.longitude;
    this.redraw();
  }

  /** Removes every listed feature. */
  clearFeatures(): void {
    this.#count = 0;
    this.#pointsDrawn = 0;
    this.redraw();
  }

  /** The listed feature nearest to (x, y), if one is within `radius` px. */
  nearest(x: number, y: number, radius = 8): Point | undefined {
    let best = radius * radius;
    let found = -1;
    for (let i = 0; i < this.#count; i++) {
      const [px, py] = this.toScreen(
        fromE7(this.#latitudes[i]),
        fromE7(this.#longitudes[i]),
      );
      const d = (px - x) ** 2 + (py - y) ** 2;
      if (d <= best) [best, found] = [d, i];
    }
    return found < 0 ? undefined : {
      latitude: this.#latitudes[found],
      longitude: this.#longitudes[found],
    };
  }

  /** Draws on the next animation frame (once, however often asked). */
  redraw(): void {
    this.#frame ||= requestAnimationFrame(() => {
      this.#frame = 0;
      this.#draw();
    });
  }

  // Measured by fit(), which a resize calls: measuring in each frame would
  // make the browser lay the page out again in each frame.
  #size(): [number, number] {
    return [this.#width, this.#height];
  }

  // The whole world may not shrink below a quarter of the canvas.
  #minScale(): number {
    const [width, height] = this.#size();
    return Math.min(width / 360, height / 180) / 4;
  }

  // Beyond the world's edges too, so that it is the canvas's scale.
  #visible(): Box {
    const [width, height] = this.#size();
    const [north, west] = this.#unclamped(0, 0);
    const [south, east] = this.#unclamped(width, height);
    return { west, south, east, north };
  }

  #resize(width: number, height: number): void {
    const ratio = devicePixelRatio || 1;
    for (
      const canvas of [this.canvas, this.#land.canvas, this.#points.canvas]
    ) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    for (const context of [this.#context, this.#land, this.#points]) {
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
    }
    // The view, for tests and tools that turn degrees into clicks.
    const visible = this.#visible();
    for (const side of ["west", "south", "east", "north"] as const) {
      this.canvas.dataset[side] = String(visible[side]);
    }
    this.#drawLand(width, height);
    this.#pointsDrawn = 0;
    this.#draw();
  }

  // Three layers: the land (redrawn when the view changes), the features
  // (drawn as they arrive, so that a frame costs the new ones only) and
  // what is drawn over them (every frame).
  #draw(): void {
    const [width, height] = this.#size();
    if (this.#pointsDrawn === 0) this.#points.clearRect(0, 0, width, height);
    this.#drawFeatures(width, height);
    this.#context.drawImage(this.#land.canvas, 0, 0, width, height);
    this.#context.drawImage(this.#points.canvas, 0, 0, width, height);
    this.#drawSelection();
    this.#drawRoute();
    this.#drawMarker();
  }

  #drawLand(width: number, height: number): void {
    const context = this.#land;
    const projection = geoEquirectangular()
      .scale((this.#scale * 180) / Math.PI)
      .translate([this.#x0, this.#y0])
      .clipExtent([[-1, -1], [width + 1, height + 1]]);
    const path = geoPath(projection, context);
    context.fillStyle = COLOURS.outside;
    context.fillRect(0, 0, width, height);
    context.beginPath();
    path({ type: "Sphere" });
    context.fillStyle = COLOURS.sea;
    context.fill();
    context.beginPath();
    path(GRATICULE);
    context.strokeStyle = COLOURS.graticule;
    context.lineWidth = 1;
    context.stroke();
    context.beginPath();
    path(COUNTRIES);
    context.fillStyle = COLOURS.land;
    context.fill();
    context.strokeStyle = COLOURS.border;
    context.lineWidth = 0.7;
    context.stroke();
  }

  #drawFeatures(width: number, height: number): void {
    const context = this.#points;
    const size = clamp(this.#scale / 40, 1.6, 5);
    context.fillStyle = COLOURS.point;
    for (let i = this.#pointsDrawn; i < this.#count; i++) {
      const x = this.#x0 + fromE7(this.#longitudes[i]) * this.#scale;
      const y = this.#y0 - fromE7(this.#latitudes[i]) * this.#scale;
      if (x < -size || y < -size || x > width + size || y > height + size) {
        continue;
      }
      context.fillRect(x - size / 2, y - size / 2, size, size);
    }
    this.#pointsDrawn = this.#count;
  }

  #drawSelection(): void {
    if (!this.selection) return;
    const { west, south, east, north } = this.selection;
    const [x1, y1] = this.toScreen(north, west);
    const [x2, y2] = this.toScreen(south, east);
    const context = this.#context;
    context.fillStyle = "rgba(31, 111, 214, 0.07)";
    context.fillRect(x1, y1, x2 - x1, y2 - y1);
    context.setLineDash([6, 4]);
    context.strokeStyle = COLOURS.selection;
    context.lineWidth = 1.5;
    context.strokeRect(x1, y1, x2 - x1, y2 - y1);
    context.setLineDash([]);
  }

  #drawRoute(): void {
    if (this.route.length === 0) return;
    const context = this.#context;
    const screen = this.route.map((p) =>
      this.toScreen(fromE7(p.latitude), fromE7(p.longitude))
    );
    context.lineJoin = "round";
    context.lineCap = "round";
    for (const [colour, width] of [["#ffffff", 6], [COLOURS.route, 3]]) {
      context.beginPath();
      for (const [x, y] of screen) context.lineTo(x, y);
      context.setLineDash(
        this.routeRecorded || colour === "#ffffff" ? [] : [8, 6],
      );
      context.strokeStyle = colour as string;
      context.lineWidth = width as number;
      context.stroke();
    }
    context.setLineDash([]);
    screen.forEach(([x, y], i) => {
      context.beginPath();
      context.arc(x, y, i === 0 || i === screen.length - 1 ? 6 : 4, 0, 7);
      context.fillStyle = "#ffffff";
      context.fill();
      context.lineWidth = 2.5;
      context.strokeStyle = COLOURS.route;
      context.stroke();
    });
  }

  #drawMarker(): void {
    if (!this.marker) return;
    const { point, label } = this.marker;
    const [x, y] = this.toScreen(
      fromE7(point.latitude),
      fromE7(point.longitude),
    );
    const context = this.#context;
    context.beginPath();
    context.arc(x, y, 7, 0, 7);
    context.fillStyle = "rgba(15, 138, 95, 0.18)";
    context.fill();
    context.lineWidth = 2.5;
    context.strokeStyle = COLOURS.marker;
    context.stroke();
    if (!label) return;
    context.font = "600 13px system-ui, sans-serif";
    context.lineWidth = 4;
    context.strokeStyle = "#ffffff";
    context.strokeText(label, x + 11, y + 4);
    context.fillStyle = COLOURS.text;
    context.fillText(label, x + 11, y + 4);
  }
}

function layer(): CanvasRenderingContext2D {
  return document.createElement("canvas").getContext("2d")!;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

function grow(array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}
