/**
 * What a newcomer runs first, through the real tasks (`deno task -q ...`):
 * the quick start prints nothing on stderr, the README's first hand-typed
 * call finds a place, piped chat input is checked before anything is sent,
 * and the demo gets through a server that is not ours (a missing method,
 * unnamed features, a wrapped distance).
 */
import assert from "node:assert/strict";
import {
  createRouteGuide,
  type Feature,
  FeatureDatabase,
  MemoryNoteBoard,
  RouteGuideError,
  type RouteGuideHandlers,
  type RouteGuideServer,
  startServer,
  Status,
} from "../mod.ts";
import { type DenoRun, REPO_ROOT, runDeno } from "./helpers.ts";

/** Runs `deno task -q <args>` in the repository, feeding `stdin`. */
function task(args: string[], stdin?: string): Promise<DenoRun> {
  return runDeno(["task", "-q", ...args], stdin);
}

Deno.test("the quick start's demo task prints nothing on stderr", async () => {
  const run = await task(["demo"]);
  assert.equal(run.stderr, "");
  assert.equal(run.code, 0);
  assert.match(
    run.stdout[0],
    /^RouteGuide server listening on 127\.0\.0\.1:\d+ with \d+ features$/,
  );
  assert.equal(run.stdout[1], "-------------- GetFeature --------------");
});

Deno.test("the README's first hand-typed call finds a place through deno task serve", async () => {
  const readme = await Deno.readTextFile(`${REPO_ROOT}/README.md`);
  const line = /^deno task client feature (\S+) (\S+)/m.exec(readme);
  assert.ok(line, "README has a `deno task client feature LAT LNG` line");
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "task",
      "-q",
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--web-port",
      "0",
    ],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const first = (await lines.read()).value ?? "";
    const address = /listening on (\S+)/.exec(first)?.[1];
    assert.ok(address, `serve printed: ${first}`);
    // The README's command, with the test server's address added.
    const run = await task([
      "client",
      "--addr",
      address,
      "feature",
      line[1],
      line[2],
    ]);
    assert.deepEqual([run.code, run.stderr], [0, ""]);
    assert.deepEqual(run.stdout, [
      "Feature called 'New York City, US' at (lat=407142700, lng=-740059700)",
    ]);
  } finally {
    server.kill("SIGTERM");
    await lines.cancel();
    await server.stderr.cancel();
    await server.status;
  }
});

Deno.test("chat sends nothing, and says it sent nothing, when a later piped line is bad", async () => {
  const notes = new MemoryNoteBoard();
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    features: new FeatureDatabase([]),
    notes,
  });
  try {
    const bad = await task(
      ["client", "--addr", server.address, "chat"],
      "1 1 first\n2 2 second\nnorth 1 no\n",
    );
    assert.deepEqual([bad.code, bad.stdout], [2, []]);
    assert.match(
      bad.stderr,
      /^routeguide client: chat: input line 3: latitude 'north' is not a number[^\n]*\n$/,
    );
    // Nothing reached the server: a good chat at the same point finds no
    // earlier note there.
    const good = await task(
      ["client", "--addr", server.address, "chat"],
      "1 1 later\n",
    );
    assert.deepEqual(good, {
      code: 0,
      stdout: ["Sending RouteNote for (lat=10000000, lng=10000000): later"],
      stderr: "",
    });
  } finally {
    await server.close(0);
  }
});

const UNNAMED: Feature = {
  name: "",
  location: { latitude: 405_000_000, longitude: -745_000_000 },
};
const NAMED: Feature = {
  name: "Named",
  location: { latitude: 410_000_000, longitude: -740_000_000 },
};

/**
 * A server like other RouteGuide examples: no GetFeature (as the codelab's),
 * an unnamed feature listed, and a RecordRoute distance wrapped past int32.
 */
async function withForeignServer(
  fn: (server: RouteGuideServer) => Promise<void>,
): Promise<void> {
  const ours = createRouteGuide({
    features: new FeatureDatabase([UNNAMED, NAMED]),
    notes: new MemoryNoteBoard(),
  });
  const handlers: RouteGuideHandlers = {
    getFeature() {
      throw new RouteGuideError(Status.UNIMPLEMENTED, "no GetFeature here");
    },
    *listFeatures() {
      yield UNNAMED;
      yield NAMED;
    },
    recordRoute(context) {
      const route = ours.recordRoute(context);
      return {
        add: (point) => route.add(point),
        finish: async () => ({ ...(await route.finish()), distance: -5 }),
        end: () => route.end?.(),
      };
    },
    routeChat: (context) => ours.routeChat(context),
  };
  const server = await startServer({ host: "127.0.0.1", port: 0, handlers });
  try {
    await fn(server);
  } finally {
    await server.close(0);
  }
}

Deno.test("the demo names a method a foreign server lacks and goes on; unnamed features and wrapped distances read as such", async () => {
  await withForeignServer(async (server) => {
    const run = await task(["client", "--addr", server.address]);
    assert.deepEqual([run.code, run.stderr], [0, ""]);
    const out = run.stdout;
    assert.deepEqual(out.slice(0, 7), [
      "-------------- GetFeature --------------",
      "GetFeature is not implemented by this server",
      "-------------- ListFeatures --------------",
      "Looking for features between 40, -75 and 42, -73",
      "Feature with no name at (lat=405000000, lng=-745000000)",
      "Feature called 'Named' at (lat=410000000, lng=-740000000)",
      "-------------- RecordRoute --------------",
    ]);
    assert.equal(out.slice(7, 17).length, 10);
    assert.ok(out.slice(7, 17).every((l) => l.startsWith("Visiting point ")));
    assert.deepEqual(out[17], "Finished trip with 10 points");
    assert.deepEqual(
      out[19],
      "Traveled a distance out of range (the server sent -5 meters)",
    );
    assert.equal(out[21], "-------------- RouteChat --------------");
    assert.equal(
      out.filter((l) => l.startsWith("Sending RouteNote")).length,
      5,
    );

    const [list, feature] = await Promise.all([
      task([
        "client",
        "--addr",
        server.address,
        "list",
        "40",
        "-75",
        "42",
        "-73",
      ]),
      task(["client", "--addr", server.address, "feature", "41", "-74"]),
    ]);
    assert.deepEqual(list, {
      code: 0,
      stdout: [
        "Feature with no name at (lat=405000000, lng=-745000000)",
        "Feature called 'Named' at (lat=410000000, lng=-740000000)",
      ],
      stderr: "",
    });
    // One call, nothing to go on with: it fails in one line.
    assert.deepEqual(feature, {
      code: 1,
      stdout: [],
      stderr: "routeguide client: UNIMPLEMENTED: no GetFeature here\n",
    });
  });
});
