/**
 * Makes docs/map.png: the page in headless chromium over the world's
 * cities, with western Europe listed, a route from Paris to Berlin drawn
 * and recorded, and Paris named by a click. Driven as tests/browser_test.ts
 * drives the page.
 *
 * Usage: deno run -A tools/screenshot.ts [--out FILE]
 */
import { parseArgs } from "node:util";
import { loadWorldCities } from "../mod.ts";
import {
  clickPoint,
  dragRectangle,
  launchChromium,
  listingResult,
  openPage,
  startServers,
} from "../tests/_browser.ts";

const { values } = parseArgs({
  options: { out: { type: "string", default: "docs/map.png" } },
});
const cities = await loadWorldCities();
const city = (name: string) => {
  const found = cities.find((feature) => feature.name === name);
  if (!found) throw new Error(`no ${name} in the world's cities`);
  return found.location!;
};
const route = [
  "Paris, FR",
  "Brussels, BE",
  "Amsterdam, NL",
  "Hamburg, DE",
  "Berlin, DE",
].map(city);

await using servers = await startServers(cities);
const browser = await launchChromium();
try {
  const page = await openPage(browser, `${servers.web.url}/`);
  await dragRectangle(page, [54.5, -2.5], [46, 15.5]);
  const { state } = await listingResult(page);
  if (state !== "done") throw new Error(`the listing ended ${state}`);
  await page.click('#modes button[data-mode="route"]');
  for (const point of route) await clickPoint(page, point);
  await page.click("#finish");
  await page.waitForSelector("#summary:not([hidden])", { timeout: 10_000 });
  await page.click('#modes button[data-mode="list"]');
  await clickPoint(page, route[0]);
  await page.waitForSelector("#feature[data-name]", { timeout: 10_000 });
  // The pointer would otherwise hover the map.
  await page.mouse.move(0, 0);
  await page.screenshot({ path: values.out! });
  console.log(`wrote ${values.out}`);
} finally {
  await browser.close();
}
