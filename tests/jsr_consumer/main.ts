/**
 * A program that uses routeguide the way a JSR consumer does: through the
 * package's name, with none of its dependencies in this app's import map.
 * It serves its own places on free loopback ports (gRPC, and the web port
 * with the map page), calls them and stops.
 */
import {
  createRouteGuide,
  FeatureDatabase,
  MemoryNoteBoard,
  pointFromDegrees,
  RouteGuideClient,
  startServer,
  startWebServer,
} from "@routeguide/routeguide";

const paris = pointFromDegrees(48.85341, 2.3488);
const handlers = createRouteGuide({
  features: new FeatureDatabase([
    { name: "Paris, FR", location: paris },
    { name: "Lyon, FR", location: pointFromDegrees(45.74846, 4.84671) },
    { name: "Berlin, DE", location: pointFromDegrees(52.52437, 13.41053) },
  ]),
  notes: new MemoryNoteBoard(),
});
const server = await startServer({ host: "127.0.0.1", port: 0, handlers });
const web = await startWebServer({ host: "127.0.0.1", port: 0, handlers });
const client = new RouteGuideClient(server.address);
try {
  const found = await client.getFeature(paris, { timeoutMs: 5_000 });
  const inFrance: string[] = [];
  for await (
    const feature of client.listFeatures(
      { lo: pointFromDegrees(42, -5), hi: pointFromDegrees(51, 8) },
      { timeoutMs: 5_000 },
    )
  ) inFrance.push(feature.name);
  console.log(`${found.name}; in France: ${inFrance.sort().join(", ")}`);
  // The page's files come from next to the package's modules, wherever
  // those were imported from.
  const page = [];
  for (const path of ["/", "/app.js", "/style.css"]) {
    const response = await fetch(`${web.url}${path}`);
    const body = await response.arrayBuffer();
    page.push(`${path} ${response.status} ${body.byteLength > 0}`);
  }
  console.log(`page: ${page.join(", ")}`);
} finally {
  client.close();
  await Promise.all([server.close(), web.close()]);
}
