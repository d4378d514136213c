/// <reference lib="dom" />
/**
 * The page at `/`: a world map whose clicks and drags call the RouteGuide
 * service of the server the page came from. Bundled by `deno task bundle`
 * into lib/web/static/.
 *
 * The panels carry their results as data-* attributes too (counts, the
 * summary), so that tests read numbers rather than formatted text.
 *
 * @module
 */
import { type Box, WORLD_BOX, WorldMap } from "./map.ts";
import { CallError, connectClient, openStream } from "./calls.ts";
import { chatPanel } from "./chat.ts";
import { degrees, element, failed, report } from "./ui.ts";
import {
  PointSchema,
  type RouteSummary,
  RouteSummarySchema,
} from "../lib/gen/es/route_guide_pb.ts";
import { Status } from "../lib/domain/errors.ts";
import { pointFromDegrees } from "../lib/domain/geo.ts";
import type { Point } from "../lib/domain/types.ts";

type Mode = "list" | "route" | "chat";

const HINTS: Record<Mode, string> = {
  list: "Drag a rectangle to list its features; click a point for its name.",
  route: "Click points (features snap) to draw a route, then Finish.",
  chat: "Click the map to pick where your notes go.",
};

const map = new WorldMap(element<HTMLCanvasElement>("map"));
const tokenField = element<HTMLInputElement>("token");
const token = () => tokenField.value.trim();
const client = connectClient(token);
let mode: Mode = "list";

function setMode(next: Mode): void {
  mode = next;
  document.body.dataset.mode = next;
  for (const button of document.querySelectorAll("#modes button")) {
    const pressed = (button as HTMLElement).dataset.mode === next;
    button.setAttribute("aria-pressed", String(pressed));
  }
  element("hint").textContent = HINTS[next];
}

// ---- The map: drag, click, zoom ----

const canvas = map.canvas;
let press: { x: number; y: number; dragging: boolean } | undefined;

function boxBetween(x1: number, y1: number, x2: number, y2: number): Box {
  const [latitude1, longitude1] = map.toDegrees(x1, y1);
  const [latitude2, longitude2] = map.toDegrees(x2, y2);
  return {
    west: Math.min(longitude1, longitude2),
    south: Math.min(latitude1, latitude2),
    east: Math.max(longitude1, longitude2),
    north: Math.max(latitude1, latitude2),
  };
}

canvas.addEventListener("pointerdown", (event) => {
  if (event.button !== 0) return;
  canvas.setPointerCapture(event.pointerId);
  press = { x: event.offsetX, y: event.offsetY, dragging: false };
});
canvas.addEventListener("pointermove", (event) => {
  if (!press || mode !== "list") return;
  const moved = Math.hypot(event.offsetX - press.x, event.offsetY - press.y);
  press.dragging ||= moved > 4;
  if (!press.dragging) return;
  map.selection = boxBetween(press.x, press.y, event.offsetX, event.offsetY);
  map.redraw();
});
canvas.addEventListener("pointerup", (event) => {
  const start = press;
  press = undefined;
  if (!start) return;
  if (start.dragging && map.selection) listFeatures(map.selection);
  else if (!start.dragging) click(event.offsetX, event.offsetY);
});
canvas.addEventListener("wheel", (event) => {
  event.preventDefault();
  map.zoom(event.deltaY < 0 ? 1.25 : 0.8, event.offsetX, event.offsetY);
}, { passive: false });
element("world").addEventListener("click", () => map.fit(WORLD_BOX));

/** The listed feature under (x, y), else the point there. */
function pick(x: number, y: number): Point {
  return map.nearest(x, y) ?? pointFromDegrees(...map.toDegrees(x, y));
}

function click(x: number, y: number): void {
  const point = pick(x, y);
  if (mode === "list") getFeature(point);
  else if (mode === "route") addRoutePoint(point);
  else chat.setLocation(point);
}

// ---- GetFeature and ListFeatures, over Connect ----

async function getFeature(point: Point): Promise<void> {
  try {
    const { name } = await client.getFeature(point);
    const text = name || `No feature at ${degrees(point)}`;
    const shown = element("feature");
    shown.textContent = name ? `${name} (${degrees(point)})` : text;
    shown.dataset.name = name;
    shown.classList.remove("muted");
    map.marker = { point, label: name };
    map.redraw();
    report(`GetFeature: ${text}`);
  } catch (error) {
    failed("GetFeature", error);
  }
}

// Features already received arrive as microtasks, which would keep the
// browser from painting and from taking a click on Stop until the stream
// ends: the loop gives way to a frame every 12 ms of work (to a task when
// the tab is hidden, where there are no frames).
const channel = new MessageChannel();
function giveWay(): Promise<void> {
  return new Promise((resolve) => {
    if (document.visibilityState === "visible") {
      requestAnimationFrame(() => resolve());
    } else {
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    }
  });
}

let listing: AbortController | undefined;
const countOutput = element<HTMLOutputElement>("list-count");
const stopButton = element<HTMLButtonElement>("stop");
stopButton.addEventListener("click", () => listing?.abort());

function showCount(count: number, state: string): void {
  countOutput.value = count.toLocaleString("en");
  countOutput.dataset.count = String(count);
  countOutput.dataset.state = state;
}

async function listFeatures(box: Box): Promise<void> {
  listing?.abort();
  const controller = new AbortController();
  listing = controller;
  const margin = Math.max(box.east - box.west, box.north - box.south) * 0.08;
  map.fit({
    west: box.west - margin,
    south: box.south - margin,
    east: box.east + margin,
    north: box.north + margin,
  });
  map.clearFeatures();
  stopButton.disabled = false;
  const started = performance.now();
  let count = 0;
  let shown = 0;
  let lastYield = started;
  showCount(0, "running");
  report("Listing features...");
  // The count follows the stream at most once a frame.
  const tick = () => {
    if (listing !== controller) return;
    if (shown !== count) showCount(shown = count, "running");
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  const rectangle = {
    lo: pointFromDegrees(box.south, box.west),
    hi: pointFromDegrees(box.north, box.east),
  };
  const { lo, hi } = rectangle;
  // The rectangle asked for, in E7: south, west, north, east.
  countOutput.dataset.rectangle =
    `${lo.latitude},${lo.longitude},${hi.latitude},${hi.longitude}`;
  try {
    for await (
      const feature of client.listFeatures(rectangle, {
        signal: controller.signal,
      })
    ) {
      if (feature.location) map.addFeature(feature.location);
      count++;
      if (performance.now() - lastYield > 12) {
        await giveWay();
        lastYield = performance.now();
      }
    }
    if (listing !== controller) return;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    showCount(count, "done");
    report(
      `ListFeatures: ${count.toLocaleString("en")} features in ${seconds} s`,
    );
  } catch (error) {
    if (listing !== controller) return;
    if (controller.signal.aborted) {
      showCount(count, "stopped");
      report(
        `ListFeatures stopped after ${count.toLocaleString("en")} features`,
      );
    } else {
      showCount(count, "error");
      failed("ListFeatures", error);
    }
  } finally {
    if (listing === controller) {
      listing = undefined;
      stopButton.disabled = true;
    }
  }
}

// ---- RecordRoute, over a WebSocket ----

const finishButton = element<HTMLButtonElement>("finish");

function showRoute(): void {
  const n = map.route.length;
  element("route-points").textContent = `${n} point${n === 1 ? "" : "s"}`;
  finishButton.disabled = n === 0 || map.routeRecorded;
  map.redraw();
}

function clearRoute(): void {
  map.route = [];
  map.routeRecorded = false;
  element("summary").hidden = true;
  showRoute();
}

function addRoutePoint(point: Point): void {
  if (map.routeRecorded) clearRoute();
  map.route.push(point);
  showRoute();
}

function showSummary(summary: RouteSummary): void {
  const list = element("summary");
  const fields = {
    points: [summary.pointCount, summary.pointCount.toLocaleString("en")],
    features: [summary.featureCount, summary.featureCount.toLocaleString("en")],
    distance: [summary.distance, `${summary.distance.toLocaleString("en")} m`],
    elapsed: [summary.elapsedTime, `${summary.elapsedTime} s`],
  } as const;
  for (const [key, [value, text]] of Object.entries(fields)) {
    list.dataset[key] = String(value);
    element(`summary-${key}`).textContent = text;
  }
  list.hidden = false;
}

async function recordRoute(): Promise<void> {
  finishButton.disabled = true;
  let summary: RouteSummary | undefined;
  const call = openStream(
    "RecordRoute",
    { request: PointSchema, response: RouteSummarySchema },
    token(),
    (response) => summary = response,
  );
  for (const point of map.route) call.send(point);
  call.end();
  try {
    await call.done;
    if (!summary) {
      throw new CallError(Status.INTERNAL, "the server sent no summary");
    }
    map.routeRecorded = true;
    showSummary(summary);
    showRoute();
    report(`RecordRoute: ${summary.distance.toLocaleString("en")} m`);
  } catch (error) {
    finishButton.disabled = false;
    failed("RecordRoute", error);
  }
}

finishButton.addEventListener("click", recordRoute);
element("clear-route").addEventListener("click", clearRoute);

const chat = chatPanel(map, token);
// A new token is for new calls: the open chat used the old one.
tokenField.addEventListener("change", chat.end);

for (const button of document.querySelectorAll("#modes button")) {
  button.addEventListener(
    "click",
    () => setMode((button as HTMLElement).dataset.mode as Mode),
  );
}
setMode("list");
map.fit(WORLD_BOX);
