/**
 * Messages a user sees as one clear line (issue 16, point 9): what failed,
 * why and what to do, with exit status 2 for a usage mistake. Each case
 * runs the real entry point as a subprocess.
 */
import assert from "node:assert/strict";
import {
  feature,
  startServerProcess,
  startTestServer,
  writeDbFile,
} from "./helpers.ts";
import { runCli } from "./_prod_helpers.ts";

/** Runs the entry point to completion; exit code and non-empty lines. */
async function run(file: "server.ts" | "client.ts", args: string[]) {
  // Paths here are absolute: where the user stands (INIT_CWD) does not matter.
  const { code, stdout, stderr } = await runCli(file, args);
  const lines = (text: string) => text.split("\n").filter((l) => l !== "");
  return { code, stdout: lines(stdout), stderr: lines(stderr) };
}

/** Asserts a usage failure: exit 2, nothing on stdout, exactly `line`. */
function assertUsage(result: Awaited<ReturnType<typeof run>>, line: string) {
  assert.deepEqual(
    { code: result.code, stdout: result.stdout, stderr: result.stderr },
    { code: 2, stdout: [], stderr: [line] },
  );
}

Deno.test("server: a bad --db is one line, entries numbered from 1", async () => {
  const badJson = await writeDbFile('{"a":\n  [1,\n');
  const badEntry = await writeDbFile([
    feature("fine", 1, 1),
    { name: "nowhere" },
  ]);
  const empty = await writeDbFile([]);
  try {
    assertUsage(
      await run("server.ts", ["--port", "0", "--db", badJson]),
      `routeguide server: ${badJson}: not valid JSON: Unexpected end of JSON input`,
    );
    assertUsage(
      await run("server.ts", ["--port", "0", "--db", badEntry]),
      `routeguide server: ${badEntry}: entry 2: location is missing or not an object: {"name":"nowhere"}`,
    );
    assertUsage(
      await run("server.ts", ["--port", "0", "--db", empty]),
      `routeguide server: --db ${empty} holds no features; give a file with some, or --allow-empty-db to serve none`,
    );
    assertUsage(
      await run("server.ts", ["--port", "-1"]),
      "routeguide server: --port must be an integer from 0 to 65535, got '-1'",
    );
  } finally {
    for (const path of [badJson, badEntry, empty]) await Deno.remove(path);
  }
});

Deno.test("server: --allow-empty-db serves none; one feature is 'feature'", async () => {
  const empty = await writeDbFile([]);
  const one = await writeDbFile([feature("Only", 1, 2)]);
  try {
    {
      await using server = await startServerProcess([
        "--db",
        empty,
        "--allow-empty-db",
      ]);
      assert.match(server.firstLine, / with 0 features /);
    }
    await using server = await startServerProcess(["--db", one]);
    assert.match(server.firstLine, / with 1 feature /);
  } finally {
    await Deno.remove(empty);
    await Deno.remove(one);
  }
});

Deno.test("client: E7 coordinates get a hint in degrees; one hint only", async () => {
  assertUsage(
    await run("client.ts", ["feature", "407142700", "-740059700"]),
    "routeguide client: feature: latitude '407142700' is outside -90..90 degrees; decimal degrees are wanted: E7 407142700 would be 40.71427 (see --help)",
  );
  assertUsage(
    await run("client.ts", ["list"]),
    "routeguide client: list takes 4 arguments, got 0 (see --help)",
  );
  await using server = await startTestServer([]);
  assertUsage(
    await run("client.ts", ["--addr", server.server.address, "record"]),
    "routeguide client: the server lists no features in the area to visit (see --area, --file)",
  );
});
