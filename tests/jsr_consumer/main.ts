/**
 * A program that uses routeguide the way a JSR consumer does: through the
 * package's name, with none of its dependencies in this app's import map.
 * It serves its own places on a free loopback port, calls them and stops.
 */
import {
  FeatureDatabase,
  pointFromDegrees,
  RouteGuideClient,
  startServer,
} from "@routeguide/routeguide";

const paris = pointFromDegrees(48.85341, 2.3488);
const server = await startServer({
  host: "127.0.0.1",
  port: 0,
  features: new FeatureDatabase([
    { name: "Paris, FR", location: paris },
    { name: "Lyon, FR", location: pointFromDegrees(45.74846, 4.84671) },
    { name: "Berlin, DE", location: pointFromDegrees(52.52437, 13.41053) },
  ]),
});
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
} finally {
  client.close();
  await server.close();
}
