/**
 * `deno task client`: the RouteGuide command-line client.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { RouteGuideClient, runDemo } from "./mod.ts";

const { values } = parseArgs({
  options: { addr: { type: "string", default: "localhost:50051" } },
});
const client = new RouteGuideClient(values.addr!);
try {
  await runDemo(client, console.log);
} finally {
  client.close();
}
