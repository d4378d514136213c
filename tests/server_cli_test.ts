/**
 * `server.ts` as a user runs it: flags, database files, a taken port, and
 * graceful shutdown on SIGTERM/SIGINT with calls in flight.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { RouteGuideClient, Status } from "../mod.ts";
import type { RouteSummary } from "../mod.ts";
import {
  assertStatus,
  ChatSession,
  feature,
  note,
  pt,
  startServerProcess,
  startTestServer,
  writeDbFile,
} from "./helpers.ts";
import { RouteGuideStub } from "../lib/grpc/proto.ts";
import { runCli } from "./_prod_helpers.ts";

function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** Runs server.ts to completion; stderr lines without Deno's own warning. */
async function runServer(args: string[]) {
  const { code, stdout, stderr } = await runCli("server.ts", args);
  return {
    code,
    stdout: stripAnsi(stdout),
    errorLines: stripAnsi(stderr).split("\n").filter((l) => l !== ""),
  };
}

/** Asserts a non-zero exit with exactly one stderr line matching `pattern`. */
function assertOneLineFailure(
  result: Awaited<ReturnType<typeof runServer>>,
  pattern: RegExp,
): void {
  assert.notEqual(result.code, 0);
  assert.equal(result.errorLines.length, 1, result.errorLines.join("\n"));
  assert.match(result.errorLines[0], pattern);
  assert.doesNotMatch(
    result.errorLines[0],
    /\bat .*\.ts:\d+/,
    "no stack trace",
  );
}

Deno.test("server --help describes every flag and the RouteChat bounds, exit 0", async () => {
  const { code, stdout } = await runServer(["--help"]);
  assert.equal(code, 0);
  for (
    const text of [
      "--host",
      "--port",
      "--db",
      "--grace",
      "--notes-per-location",
      "--max-locations",
      "--max-notes-per-call",
      "RESOURCE_EXHAUSTED",
      "GeoJSON",
    ]
  ) {
    assert.ok(stdout.includes(text), `--help lacks ${text}`);
  }
});

Deno.test("server with an unknown flag or a bad value prints one line and exits non-zero", async () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /bogus/],
    [["--port", "http"], /--port.*'http'/],
    [["--port", "70000"], /--port.*70000/],
    [["--grace=-1"], /--grace.*'-1'/],
    [["--grace", "-1"], /--grace must be a number of seconds >= 0, got '-1'/],
    [["--grace", "Infinity"], /--grace.*'Infinity'/],
    [["--port", ""], /--port.*''/],
    [["--notes-per-location", "0"], /--notes-per-location.*'0'/],
    [["--max-locations", "1.5"], /--max-locations.*'1\.5'/],
    [["--max-notes-per-call", "many"], /--max-notes-per-call.*'many'/],
  ];
  for (const [args, pattern] of cases) {
    assertOneLineFailure(await runServer(args), pattern);
  }
});

Deno.test("server with a bad --db file names the file and the first bad entry, exit non-zero", async () => {
  const dir = await Deno.makeTempDir({ prefix: "routeguide-db-" });
  try {
    const missing = `${dir}/missing.json`;
    const badJson = `${dir}/bad.json`;
    const badEntry = `${dir}/entry.json`;
    const badGeo = `${dir}/bad.geojson`;
    await Deno.writeTextFile(badJson, '[{"location": ');
    await Deno.writeTextFile(
      badEntry,
      JSON.stringify([
        feature("fine", 1, 1),
        feature("fine too", 2, 2),
        {
          location: { latitude: 900_000_001, longitude: 0 },
          name: "too far north",
        },
        { location: "nowhere" },
      ]),
    );
    await Deno.writeTextFile(
      badGeo,
      JSON.stringify({
        type: "FeatureCollection",
        features: [{
          type: "Feature",
          geometry: null,
          properties: { name: "x" },
        }],
      }),
    );
    const cases: [string, RegExp][] = [
      [missing, new RegExp(`: cannot read --db ${missing}: no such file$`)],
      [dir, new RegExp(`: cannot read --db ${dir}: is a directory$`)],
      [badJson, new RegExp(`${badJson}: not valid JSON`)],
      [badEntry, new RegExp(`${badEntry}: entry 3: .*too far north`)],
      [badGeo, new RegExp(`${badGeo}: entry 1: geometry is not a Point`)],
    ];
    for (const [path, pattern] of cases) {
      assertOneLineFailure(
        await runServer(["--host", "127.0.0.1", "--port", "0", "--db", path]),
        pattern,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("server loads a GeoJSON --db and answers from it", async () => {
  const path = await writeDbFile({
    type: "FeatureCollection",
    features: [
      {
        type: "Feature",
        geometry: { type: "Point", coordinates: [2.3522219, 48.856614] },
        properties: { name: "Paris" },
      },
      {
        type: "Feature",
        geometry: { type: "Point", coordinates: [-0.1278, 51.5074] },
        properties: { name: "London" },
      },
    ],
  }, ".geojson");
  try {
    await using server = await startServerProcess(["--db", path]);
    assert.match(server.firstLine, /with 2 features/);
    const client = new RouteGuideClient(server.address);
    try {
      assert.deepEqual(
        await client.getFeature(pt(488_566_140, 23_522_219)),
        feature("Paris", 488_566_140, 23_522_219),
      );
    } finally {
      client.close();
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("server on a taken port prints one line and exits non-zero", async () => {
  await using taken = await startTestServer();
  const db = await writeDbFile([]);
  const result = await runServer([
    "--host",
    "127.0.0.1",
    "--port",
    String(taken.server.port),
    "--db",
    db,
    "--allow-empty-db",
  ]);
  await Deno.remove(db);
  assertOneLineFailure(
    result,
    new RegExp(`cannot listen on 127\\.0\\.0\\.1:${taken.server.port}`),
  );
});

/** A RecordRoute call over a raw stub, to which the test adds points. */
function openRoute(stub: InstanceType<typeof RouteGuideStub>) {
  const summary = Promise.withResolvers<RouteSummary>();
  const call = stub.RecordRoute((error, value) =>
    error ? summary.reject(error) : summary.resolve(value!)
  );
  // Awaited later; a failure before then is not an unhandled rejection.
  summary.promise.catch(() => {});
  return { call, summary: summary.promise };
}

Deno.test("SIGTERM lets calls in flight finish within the grace period, refuses new ones, exits 0", async () => {
  const db = await writeDbFile([feature("Home", 1, 1)]);
  try {
    await using server = await startServerProcess([
      "--db",
      db,
      "--grace",
      "30",
    ]);
    const stub = new RouteGuideStub(
      server.address,
      grpc.credentials.createInsecure(),
    );
    try {
      // Two calls under way on the server. The route's stream is opened
      // first on the connection, so once the chat (opened after it) has
      // answered a note, the server has both.
      const route = openRoute(stub);
      route.call.write(pt(1, 1));
      const chat = new ChatSession(stub);
      chat.send(note("before", 5, 5));
      chat.send(note("before again", 5, 5));
      assert.deepEqual(await chat.take(1), [note("before", 5, 5)]);

      server.child.kill("SIGTERM");
      assert.match(await server.nextLine() ?? "", /SIGTERM: shutting down/);

      // New connections are refused while the old calls go on.
      const late = new RouteGuideClient(server.address, {
        channelOptions: { "grpc.use_local_subchannel_pool": 1 },
      });
      try {
        await assertStatus(
          late.getFeature(pt(1, 1), { timeoutMs: 5_000 }),
          Status.UNAVAILABLE,
        );
      } finally {
        late.close();
      }

      chat.send(note("after SIGTERM", 5, 5));
      assert.deepEqual(await chat.take(2), [
        note("before", 5, 5),
        note("before again", 5, 5),
      ]);
      assert.deepEqual(await chat.finish(), []);
      route.call.write(pt(2, 2));
      route.call.end();
      const summary = await route.summary;
      assert.equal(summary.pointCount, 2);
      assert.equal(summary.featureCount, 1);
    } finally {
      stub.close();
    }
    const { code } = await server.exit();
    assert.equal(code, 0);
    assert.match(server.lines().join("\n"), /RouteGuide server stopped/);
  } finally {
    await Deno.remove(db);
  }
});

Deno.test("when the grace period runs out, calls still in flight are cancelled and the server exits 0", async () => {
  const db = await writeDbFile([]);
  try {
    await using server = await startServerProcess([
      "--db",
      db,
      "--allow-empty-db",
      "--grace",
      "0.5",
    ]);
    const stub = new RouteGuideStub(
      server.address,
      grpc.credentials.createInsecure(),
    );
    try {
      const chat = new ChatSession(stub);
      chat.send(note("a", 5, 5));
      chat.send(note("b", 5, 5));
      assert.equal((await chat.take(1)).length, 1);
      server.child.kill("SIGTERM");
      // The client never half-closes: only the grace period ends the call.
      const error = await chat.done().then(
        () => assert.fail("the call ended normally"),
        (e) => e,
      );
      // forceShutdown resets the stream (CANCELLED); a dropped connection
      // would read as UNAVAILABLE.
      assert.ok(
        [Status.CANCELLED, Status.UNAVAILABLE].includes(error.code),
        `${error.codeName}: ${error.message}`,
      );
      chat.call.cancel();
    } finally {
      stub.close();
    }
    assert.equal((await server.exit()).code, 0);
  } finally {
    await Deno.remove(db);
  }
});

Deno.test("SIGINT with no calls in flight stops the server at once, exit 0", async () => {
  const db = await writeDbFile([feature("x", 1, 1)]);
  try {
    await using server = await startServerProcess(["--db", db]);
    server.child.kill("SIGINT");
    assert.equal((await server.exit()).code, 0);
    assert.match(server.lines().join("\n"), /SIGINT: shutting down/);
  } finally {
    await Deno.remove(db);
  }
});
