/**
 * Regression test for denoland/deno#36788: Deno 2.9.4-2.9.6 abort inside
 * nghttp2 when a grpc-js client closes its connection after a large server
 * stream. A Node grpc-js client streams 120,000 features from `server.ts`
 * and closes its channel, five times; the server must still be alive and
 * answering.
 */
import assert from "node:assert/strict";
import { RouteGuideClient } from "../mod.ts";
import {
  feature,
  REPO_ROOT,
  startServerProcess,
  writeDbFile,
} from "./helpers.ts";
import denoJson from "../deno.json" with { type: "json" };

const FEATURES = 120_000;
const RUNS = 5;

/** `npm:name@version` from deno.json's imports, so Node uses the same pins. */
function pinnedVersion(name: string): string {
  const spec = (denoJson.imports as Record<string, string>)[name];
  const version = spec?.match(/@([^@]+)$/)?.[1];
  assert.ok(version, `${name} is not pinned in deno.json`);
  return version;
}

/**
 * A temporary node_modules with @grpc/grpc-js and @grpc/proto-loader for
 * Node, made by `deno install` from Deno's npm cache: nothing is added to
 * the repository. Returns its path for NODE_PATH.
 */
async function nodeModules(dir: string): Promise<string> {
  await Deno.writeTextFile(
    `${dir}/package.json`,
    JSON.stringify({
      private: true,
      dependencies: {
        "@grpc/grpc-js": pinnedVersion("@grpc/grpc-js"),
        "@grpc/proto-loader": pinnedVersion("@grpc/proto-loader"),
      },
    }),
  );
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["install", "--node-modules-dir=auto", "--quiet"],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(success, new TextDecoder().decode(stderr));
  return `${dir}/node_modules`;
}

Deno.test(`server.ts survives a Node client closing its channel after ${FEATURES} streamed features, ${RUNS} times`, async () => {
  const dir = await Deno.makeTempDir({ prefix: "routeguide-node-" });
  try {
    const nodePath = await nodeModules(dir);
    const db = Array.from(
      { length: FEATURES },
      (_, i) =>
        feature(
          `feature ${i}`,
          (i % 1_000) * 100_000,
          Math.floor(i / 1_000) * 100_000,
        ),
    );
    const dbPath = await writeDbFile(db);
    await using server = await startServerProcess(["--db", dbPath]);
    let exited = false;
    server.child.status.then(() => exited = true);
    const client = new RouteGuideClient(server.address);
    try {
      for (let run = 1; run <= RUNS; run++) {
        const { code, stdout, stderr } = await new Deno.Command("node", {
          args: [
            "tests/node_stream_client.cjs",
            server.address,
            "protos/route_guide.proto",
          ],
          cwd: REPO_ROOT,
          env: { NODE_PATH: nodePath },
        }).output();
        const text = new TextDecoder().decode(stdout);
        assert.equal(
          code,
          0,
          `run ${run}: ${new TextDecoder().decode(stderr)}`,
        );
        assert.deepEqual(
          JSON.parse(text),
          { received: FEATURES },
          `run ${run}`,
        );
        assert.equal(exited, false, `server exited after run ${run}`);
        assert.deepEqual(
          await client.getFeature(db[run * 1_001].location!),
          db[run * 1_001],
          `run ${run}`,
        );
      }
    } finally {
      client.close();
      await Deno.remove(dbPath);
    }
    assert.equal(exited, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
