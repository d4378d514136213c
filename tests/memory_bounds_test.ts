/**
 * What clients can make `server.ts` hold, on the default database: clients
 * that never read (the loads of `deno task soak`, for a few seconds each)
 * leave its RSS under 400 MB while a GetFeature on a connection of its own
 * keeps answering, and clients that take the whole world one after another
 * leave it under 300 MB.
 */
import assert from "node:assert/strict";
import { RouteGuideClient } from "../mod.ts";
import { rssMb } from "../bench/cpu.ts";
import { LOADS, soak } from "../bench/soak.ts";
import {
  collect,
  type ServerProcess,
  startServerProcess,
  WORLD,
} from "./helpers.ts";

const MAX_RSS_MB = 400;

/** `server.ts` on the default database, its access log read as it comes. */
async function defaultServer(): Promise<ServerProcess & { port: number }> {
  const server = await startServerProcess([]);
  // A pipe left full would stop the server.
  (async () => {
    while (await server.nextLine() !== undefined);
  })();
  return { ...server, port: Number(server.address.split(":").at(-1)) };
}

for (const load of Object.keys(LOADS)) {
  Deno.test(`${load} that never read keep server.ts under 400 MB while GetFeature answers`, async () => {
    await using server = await defaultServer();
    const result = await soak(load, server.port, server.child.pid, 5);
    console.log(
      `max RSS ${result.maxRssMb.toFixed(0)} MB, slowest GetFeature ${
        Math.max(...result.latencies).toFixed(0)
      } ms`,
    );
    assert.equal(result.failures, 0, "every GetFeature answered");
    assert.ok(result.maxRssMb < MAX_RSS_MB, `${result.maxRssMb} MB`);
  });
}

// Before the outbound budget, 20 such clients left the server at 301-311
// MB and 100 at 740 MB; now it stays near 220 MB.
Deno.test("30 clients in a row, each taking the whole world, leave server.ts under 300 MB", async () => {
  await using server = await defaultServer();
  let most = 0;
  for (let i = 0; i < 30; i++) {
    const client = new RouteGuideClient(server.address);
    try {
      assert.ok((await collect(client.listFeatures(WORLD))).length > 100_000);
    } finally {
      client.close();
    }
    most = Math.max(most, await rssMb(server.child.pid));
  }
  console.log(`max RSS ${most.toFixed(0)} MB`);
  assert.ok(most < 300, `${most} MB`);
});
