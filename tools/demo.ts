/**
 * `deno task demo`: starts a RouteGuide server with the world's cities on a
 * free loopback port, runs the client's tutorial demo against it, and stops
 * the server.
 *
 * @module
 */
import {
  FeatureDatabase,
  loadWorldCities,
  RouteGuideClient,
  startServer,
} from "../mod.ts";
import { runDemo } from "../lib/cli/demo.ts";

const features = new FeatureDatabase(await loadWorldCities());
const server = await startServer({ host: "127.0.0.1", port: 0, features });
console.log(
  `RouteGuide server listening on ${server.address} with ${features.size} features`,
);
const client = new RouteGuideClient(server.address);
try {
  await runDemo(client, console.log);
} finally {
  client.close();
  await server.close();
}
