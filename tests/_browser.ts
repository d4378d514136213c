/**
 * Driving the page at `/` in a real browser (Debian's chromium, headless,
 * through puppeteer-core) against a real web port and gRPC port serving one
 * `RouteGuideHandlers`: for tests/browser_test.ts and tools/screenshot.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import {
  createRouteGuide,
  type Feature,
  FeatureDatabase,
  fromE7,
  MemoryNoteBoard,
  type Point,
  RouteGuideClient,
  type RouteGuideHandlers,
  startServer,
  startWebServer,
  type WebServer,
} from "../mod.ts";
import { createLogger, type Logger } from "../lib/grpc/log.ts";

// What the page-side callbacks below touch, typed here: the DOM library
// clashes with Deno's own types.
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  value: string;
  getBoundingClientRect(): {
    left: number;
    top: number;
    width: number;
    height: number;
  };
  dispatchEvent(event: Event): boolean;
}

/** Where Debian puts chromium; `.ci/run` installs it. */
const CHROMIUM = "/usr/bin/chromium";

/** The page's size in the tests (and in docs/map.png). */
export const VIEWPORT = { width: 1280, height: 760 } as const;

/** Fails loudly, never skips, when the browser is missing. */
export async function launchChromium(): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `the browser tests need Debian's chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does)`,
    );
  }
  return await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // A hung page fails the test in seconds, not puppeteer's 3 minutes.
    protocolTimeout: 30_000,
    args: [
      "--no-sandbox",
      `--window-size=${VIEWPORT.width},${VIEWPORT.height}`,
    ],
  });
}

/** A JSON access log that can be waited on. */
export function watchedLog(): {
  logger: Logger;
  waitFor(
    match: (line: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>>;
} {
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const logger = createLogger({
    format: "json",
    level: "info",
    write(line) {
      lines.push(JSON.parse(line));
      for (const wake of waiters) wake();
    },
  });
  /**
   * Resolves with the first line (already written or to come) that
   * matches; rejects after 10 s with the lines written.
   */
  async function waitFor(
    match: (line: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>> {
    const timeout = AbortSignal.timeout(10_000);
    for (;;) {
      const found = lines.find(match);
      if (found) return found;
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      const expire = () =>
        reject(new Error(`no such log line in ${JSON.stringify(lines)}`));
      timeout.addEventListener("abort", expire);
      waiters.add(resolve);
      await promise.finally(() => {
        waiters.delete(resolve);
        timeout.removeEventListener("abort", expire);
      });
    }
  }
  return { logger, waitFor };
}

/**
 * Opens the page and waits until the map has drawn its view, with no error
 * on the way.
 */
export async function openPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport(VIEWPORT);
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  // Blocked loads (the content security policy, a missing asset) too.
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await page.goto(url);
  await page.waitForSelector("#map[data-west]", { timeout: 10_000 });
  assert.deepEqual(errors, []);
  return page;
}

/** Where the canvas shows a point in degrees, in page pixels. */
export async function screenOf(
  page: Page,
  latitude: number,
  longitude: number,
): Promise<[number, number]> {
  return await page.$eval(
    "#map",
    (canvas, latitude, longitude) => {
      const box = (canvas as unknown as PageElement).getBoundingClientRect();
      const view = (canvas as unknown as PageElement).dataset;
      const [west, south, east, north] = [
        view.west,
        view.south,
        view.east,
        view.north,
      ].map(Number);
      return [
        box.left + (longitude - west) / (east - west) * box.width,
        box.top + (north - latitude) / (north - south) * box.height,
      ] as [number, number];
    },
    latitude,
    longitude,
  );
}

/** Drags a rectangle on the map from one corner (degrees) to the other. */
export async function dragRectangle(
  page: Page,
  from: [number, number],
  to: [number, number],
): Promise<void> {
  const [x1, y1] = await screenOf(page, ...from);
  const [x2, y2] = await screenOf(page, ...to);
  await page.mouse.move(x1, y1);
  await page.mouse.down();
  await page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2, { steps: 4 });
  await page.mouse.move(x2, y2, { steps: 4 });
  await page.mouse.up();
}

/** Clicks on the map at a point (E7). */
export async function clickPoint(page: Page, point: Point): Promise<void> {
  const [x, y] = await screenOf(
    page,
    fromE7(point.latitude),
    fromE7(point.longitude),
  );
  await page.mouse.click(x, y);
}

/** The listing's count and state once it has ended. */
export async function listingResult(
  page: Page,
): Promise<{ count: number; state: string; rectangle: number[] }> {
  await page.waitForSelector('#list-count:not([data-state="running"])', {
    timeout: 30_000,
  });
  const data = await dataOf(page, "#list-count");
  return {
    count: Number(data.count),
    state: data.state!,
    rectangle: data.rectangle!.split(",").map(Number),
  };
}

/** Waits for the status line to start with `prefix`; returns the line. */
export async function statusLine(page: Page, prefix: string): Promise<string> {
  const text = 'document.getElementById("status").textContent';
  await page.waitForFunction(`${text}.startsWith(${JSON.stringify(prefix)})`, {
    timeout: 10_000,
    polling: "mutation",
  }).catch(async (error) => {
    const line = await page.$eval("#status", (element) => element.textContent);
    throw new Error(`status line ${JSON.stringify(line)}: ${error}`);
  });
  return await page.$eval("#status", (element) => element.textContent ?? "");
}

/** The data-* attributes of the element `selector` finds. */
export async function dataOf(
  page: Page,
  selector: string,
): Promise<Record<string, string | undefined>> {
  return await page.$eval(
    selector,
    (element) => ({ ...(element as unknown as PageElement).dataset }),
  );
}

/**
 * Listed features that stand alone on screen (no other within 12 px at
 * `pxPerDegree`), so that a click lands on that one.
 */
export function isolated(
  features: Feature[],
  pxPerDegree: number,
): Feature[] {
  const near = 12 / pxPerDegree * 1e7;
  return features.filter((a) =>
    features.every((b) =>
      a === b ||
      Math.hypot(
          a.location!.latitude - b.location!.latitude,
          a.location!.longitude - b.location!.longitude,
        ) > near
    )
  );
}

/** How many page pixels a degree takes on the map now. */
export async function pxPerDegree(page: Page): Promise<number> {
  return await page.$eval("#map", (canvas) => {
    const view = (canvas as unknown as PageElement).dataset;
    return (canvas as unknown as PageElement).getBoundingClientRect().width /
      (Number(view.east) - Number(view.west));
  });
}

/** The chat panel's notes, top to bottom. */
export async function noteTexts(page: Page): Promise<string[]> {
  return await page.$$eval(
    "#notes li",
    (items) => items.map((item) => item.textContent ?? ""),
  );
}

/** Sends a note at a place (degrees) from the chat panel. */
export async function chatAt(
  page: Page,
  latitude: number,
  longitude: number,
  message: string,
): Promise<void> {
  // A background tab gets no animation frames: the page waits on some.
  await page.bringToFront();
  await page.click('#modes button[data-mode="chat"]');
  await page.$eval("#chat-lat", (input, value) => {
    (input as unknown as PageElement).value = value;
    input.dispatchEvent(new Event("change"));
  }, String(latitude));
  await page.$eval("#chat-lng", (input, value) => {
    (input as unknown as PageElement).value = value;
    input.dispatchEvent(new Event("change"));
  }, String(longitude));
  await page.type("#message", message);
  await page.click("#chat-form button");
}

/**
 * Moves the chat panel off its place and waits until the page has no chat
 * call open: the server has then handled (stored) every note sent on it.
 */
export async function leaveChat(page: Page): Promise<void> {
  await page.$eval("#chat-lat", (input) => {
    const field = input as unknown as PageElement;
    field.value = String(-Number(field.value) || 1);
    input.dispatchEvent(new Event("change"));
  });
  await page.waitForSelector('#chat-panel[data-open="0"]', {
    timeout: 10_000,
  });
}

/**
 * Sends a note at a place from the chat panel and waits until the panel
 * shows exactly `expected`.
 */
export async function sendNote(
  page: Page,
  latitude: number,
  longitude: number,
  message: string,
  expected: string[],
): Promise<void> {
  await chatAt(page, latitude, longitude, message);
  await showsNotes(page, expected);
}

/** Waits until the chat panel shows exactly `expected`. */
export async function showsNotes(
  page: Page,
  expected: string[],
): Promise<void> {
  const shown = "JSON.stringify([...document.querySelectorAll('#notes li')]" +
    ".map((li) => li.textContent))";
  await page.waitForFunction(
    `${shown} === ${JSON.stringify(JSON.stringify(expected))}`,
    { timeout: 10_000, polling: "mutation" },
  ).catch(async (error) => {
    throw new Error(
      `notes ${JSON.stringify(await noteTexts(page))}, expected ${
        JSON.stringify(expected)
      }: ${error}`,
    );
  });
}

/** The two ports, a gRPC client and the web port's access log. */
export interface Servers extends AsyncDisposable {
  web: WebServer;
  client: RouteGuideClient;
  waitForLog: ReturnType<typeof watchedLog>["waitFor"];
}

/**
 * The web port and a gRPC port over one set of handlers: the service over
 * `features`, with any of its methods replaced by `replace`'s; both ports
 * (and the client) with `token` when given.
 */
export async function startServers(
  features: Feature[],
  { replace = {}, token }: {
    replace?: Partial<RouteGuideHandlers>;
    token?: string;
  } = {},
): Promise<Servers> {
  const logger = watchedLog();
  const handlers = {
    ...createRouteGuide({
      features: new FeatureDatabase(features),
      notes: new MemoryNoteBoard(),
    }),
    ...replace,
  };
  const grpc = await startServer({
    host: "127.0.0.1",
    port: 0,
    handlers,
    token,
  });
  const web = await startWebServer({
    handlers,
    host: "127.0.0.1",
    port: 0,
    logger: logger.logger,
    token,
  });
  const client = new RouteGuideClient(grpc.address, { token });
  return {
    web,
    client,
    waitForLog: logger.waitFor,
    async [Symbol.asyncDispose]() {
      client.close();
      await web.close(1_000);
      await grpc.close(1_000);
    },
  };
}
