/**
 * The command-line client (client.ts) run as a subprocess against a real
 * server in this process: the demo, each command, --json, and every way it
 * fails (one line on stderr, non-zero exit).
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  distance,
  type Feature,
  FeatureDatabase,
  type Point,
  type RouteGuideServer,
  startServer,
} from "../mod.ts";
import { routeGuideServiceDefinition } from "../lib/grpc/proto.ts";
import { bindLoopback, freePort, runDeno } from "./helpers.ts";

const ALPHA: Feature = {
  name: "Alpha",
  location: { latitude: 405_000_000, longitude: -745_000_000 },
};
const BRAVO: Feature = {
  name: "Bravo",
  location: { latitude: 410_000_000, longitude: -740_000_000 },
};
const UNNAMED: Feature = {
  name: "",
  location: { latitude: 415_000_000, longitude: -735_000_000 },
};
const SOUTH_WEST: Feature = {
  name: "South West",
  location: { latitude: -15_000_000, longitude: -22_500_000 },
};
const FAR: Feature = {
  name: "Far",
  location: { latitude: 100_000_000, longitude: 100_000_000 },
};
/** ALPHA, BRAVO and UNNAMED lie in the demo's area (40..42, -75..-73). */
const FEATURES = [ALPHA, FAR, BRAVO, SOUTH_WEST, UNNAMED];
const IN_DEMO_AREA = [ALPHA, BRAVO, UNNAMED];

interface Run {
  code: number;
  stdout: string[];
  stderr: string[];
}

/** Runs `client.ts` with `args`, feeding `stdin` (then end of input). */
async function runClient(args: string[], stdin?: string): Promise<Run> {
  const run = await runDeno(["run", "-q", "-P", "client.ts", ...args], stdin);
  const stderr = run.stderr.replace(/\n$/, "");
  return { ...run, stderr: stderr === "" ? [] : stderr.split("\n") };
}

async function withServer(
  fn: (server: RouteGuideServer) => Promise<void>,
): Promise<void> {
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    features: new FeatureDatabase(FEATURES),
  });
  try {
    await fn(server);
  } finally {
    await server.close(0);
  }
}

/** An address where nothing listens: a port bound, then released. */
function refusedAddress(): string {
  return `127.0.0.1:${freePort()}`;
}

/** A RouteGuide server whose handlers take calls and never answer them. */
async function withSilentServer(
  fn: (address: string) => Promise<void>,
): Promise<void> {
  const server = new grpc.Server();
  const never = () => {};
  server.addService(routeGuideServiceDefinition, {
    GetFeature: never,
    ListFeatures: never,
    RecordRoute: never,
    RouteChat: never,
  });
  const address = await bindLoopback(server);
  try {
    await fn(address);
  } finally {
    server.forceShutdown();
  }
}

function pointLine(prefix: string, p: Point): string {
  return `${prefix} (lat=${p.latitude}, lng=${p.longitude})`;
}

/** A feature as listed (GetFeature's "Found no feature" is spelled out). */
function featureLine(f: Feature): string {
  return f.name
    ? pointLine(`Feature called '${f.name}' at`, f.location!)
    : pointLine("Feature with no name at", f.location!);
}

/** Parses `(lat=.., lng=..)` out of a line. */
function pointIn(line: string): Point {
  const match = /\(lat=(-?\d+), lng=(-?\d+)\)/.exec(line);
  assert.ok(match, `no point in ${line}`);
  return { latitude: Number(match[1]), longitude: Number(match[2]) };
}

/** The distance the server must report for a route, in whole metres. */
function routeMetres(points: Point[]): number {
  let metres = 0;
  for (let i = 1; i < points.length; i++) {
    metres += distance(points[i - 1], points[i]);
  }
  return Math.trunc(metres);
}

/**
 * Checks `Visiting point` lines then the four summary lines; every point
 * must be one of `allowed` (null: any). Returns the visited points.
 */
function assertRoute(
  lines: string[],
  count: number,
  allowed: Feature[] | null,
): Point[] {
  assert.equal(lines.length, count + 4, lines.join("\n"));
  const points = lines.slice(0, count).map((line) => {
    assert.match(line, /^Visiting point \(lat=-?\d+, lng=-?\d+\)$/);
    return pointIn(line);
  });
  if (allowed) {
    for (const point of points) {
      assert.ok(
        allowed.some((f) =>
          f.location!.latitude === point.latitude &&
          f.location!.longitude === point.longitude
        ),
        `visited ${JSON.stringify(point)}, not a listed feature`,
      );
    }
  }
  const onFeature =
    points.filter((p) =>
      FEATURES.some((f) =>
        f.location!.latitude === p.latitude &&
        f.location!.longitude === p.longitude
      )
    ).length;
  const summary = lines.slice(count);
  assert.deepEqual(summary.slice(0, 3), [
    `Finished trip with ${count} points`,
    `Passed ${onFeature} features`,
    `Traveled ${routeMetres(points)} meters`,
  ]);
  assert.match(summary[3], /^It took \d+ seconds$/);
  return points;
}

/** One line on stderr with `prefix`, nothing on stdout, exit `code`. */
function assertFailure(run: Run, code: number, prefix: string): void {
  assert.equal(run.code, code, run.stderr.join("\n"));
  assert.equal(run.stderr.length, 1, run.stderr.join("\n"));
  assert.ok(
    run.stderr[0].startsWith(prefix),
    `stderr: ${run.stderr[0]}\nexpected it to start with: ${prefix}`,
  );
  assert.doesNotMatch(run.stderr[0], /\bat .*\.(ts|js):\d+/);
}

Deno.test("the demo prints the tutorial's four sections", async () => {
  await withServer(async (server) => {
    const run = await runClient(["--addr", server.address]);
    assert.equal(run.code, 0, run.stderr.join("\n"));
    assert.deepEqual(run.stderr, []);
    const out = run.stdout;
    assert.deepEqual(out.slice(0, 9), [
      "-------------- GetFeature --------------",
      featureLine(ALPHA),
      "Found no feature at (lat=0, lng=0)",
      "-------------- ListFeatures --------------",
      "Looking for features between 40, -75 and 42, -73",
      ...IN_DEMO_AREA.map(featureLine),
      "-------------- RecordRoute --------------",
    ]);
    assertRoute(out.slice(9, 23), 10, IN_DEMO_AREA);
    assert.equal(out[23], "-------------- RouteChat --------------");

    const chat = out.slice(24);
    const sent = (message: string, at: number) =>
      `Sending RouteNote for (lat=${at}, lng=${at}): ${message}`;
    const found = (message: string, at: number) =>
      `< Found previous note at (lat=${at}, lng=${at}): ${message}`;
    assert.deepEqual(chat.filter((l) => !l.startsWith("<")), [
      sent("Departing from home", 1),
      sent("Arrived at work", 2),
      sent("Having lunch at work", 2),
      sent("Departing from work", 2),
      sent("Arrived home", 1),
    ]);
    // Each answer follows the note that asked for it; the pacing of the
    // notes does not decide where answers land otherwise.
    const answers: [string, string][] = [
      [found("Arrived at work", 2), sent("Having lunch at work", 2)],
      [found("Arrived at work", 2), sent("Departing from work", 2)],
      [found("Having lunch at work", 2), sent("Departing from work", 2)],
      [found("Departing from home", 1), sent("Arrived home", 1)],
    ];
    assert.deepEqual(
      chat.filter((l) => l.startsWith("<")),
      answers.map(([answer]) => answer),
    );
    let from = 0;
    for (const [answer, asker] of answers) {
      const at = chat.indexOf(answer, from);
      assert.ok(at > chat.indexOf(asker), `${answer} came before ${asker}`);
      from = at + 1;
    }
  });
});

Deno.test("feature prints the feature at a point, or that there is none", async () => {
  await withServer(async (server) => {
    const addr = ["--addr", server.address];
    const [named, none, negative, json] = await Promise.all([
      runClient([...addr, "feature", "40.5", "-74.5"]),
      runClient([...addr, "feature", "0", "0"]),
      runClient([...addr, "feature", "-1.5", "-2.25"]),
      runClient([...addr, "--json", "feature", "40.5", "-74.5"]),
    ]);
    assert.deepEqual(named, {
      code: 0,
      stdout: [featureLine(ALPHA)],
      stderr: [],
    });
    assert.deepEqual(none.stdout, ["Found no feature at (lat=0, lng=0)"]);
    assert.deepEqual(negative.stdout, [featureLine(SOUTH_WEST)]);
    assert.equal(json.code, 0);
    assert.deepEqual(json.stdout.map((l) => JSON.parse(l)), [ALPHA]);
  });
});

Deno.test("list prints every feature in the rectangle, either diagonal", async () => {
  await withServer(async (server) => {
    const addr = ["--addr", server.address];
    const [text, json] = await Promise.all([
      runClient([...addr, "list", "42", "-73", "40", "-75"]),
      runClient([...addr, "list", "--json", "40", "-75", "42", "-73"]),
    ]);
    assert.deepEqual(text, {
      code: 0,
      stdout: IN_DEMO_AREA.map(featureLine),
      stderr: [],
    });
    assert.equal(json.code, 0);
    assert.deepEqual(json.stdout.map((l) => JSON.parse(l)), IN_DEMO_AREA);
  });
});

Deno.test("record visits N random features the server lists in the area", async () => {
  await withServer(async (server) => {
    const addr = ["--addr", server.address];
    const [demoArea, negativeArea, spaced, emptyArea] = await Promise.all([
      runClient([...addr, "record", "--points", "4"]),
      runClient([...addr, "record", "--points=3", "--area=-2,-3,-1,-2"]),
      runClient([...addr, "record", "--points", "2", "--area", "-2,-3,-1,-2"]),
      runClient([...addr, "record", "--area", "1,1,2,2"]),
    ]);
    assert.equal(demoArea.code, 0, demoArea.stderr.join("\n"));
    assertRoute(demoArea.stdout, 4, IN_DEMO_AREA);
    assert.equal(negativeArea.code, 0, negativeArea.stderr.join("\n"));
    assertRoute(negativeArea.stdout, 3, [SOUTH_WEST]);
    assert.equal(spaced.code, 0, spaced.stderr.join("\n"));
    assertRoute(spaced.stdout, 2, [SOUTH_WEST]);
    assertFailure(
      emptyArea,
      2,
      "routeguide client: the server lists no features in the area to visit",
    );
  });
});

Deno.test("record --file sends a file's points in order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const route: Point[] = [ALPHA.location!, { latitude: 0, longitude: 0 }, {
      latitude: -15_000_000,
      longitude: -22_500_000,
    }];
    const files = {
      "route.txt": "# a route\n40.5 -74.5\n\n0 0\n-1.5 -2.25\n",
      "route.json": JSON.stringify(
        route.map((location) => ({ name: "", location })),
      ),
      "route.geojson": JSON.stringify({
        type: "FeatureCollection",
        features: route.map((p) => ({
          type: "Feature",
          geometry: {
            type: "Point",
            coordinates: [p.longitude / 1e7, p.latitude / 1e7],
          },
          properties: {},
        })),
      }),
    };
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await withServer(async (server) => {
      const runs = await Promise.all(
        Object.keys(files).map((name) =>
          runClient([
            "--addr",
            server.address,
            "record",
            "--file",
            `${dir}/${name}`,
          ])
        ),
      );
      for (const run of runs) {
        assert.equal(run.code, 0, run.stderr.join("\n"));
        assert.deepEqual(assertRoute(run.stdout, 3, null), route);
        assert.equal(run.stdout[4], "Passed 2 features");
      }
      const json = await runClient([
        "--addr",
        server.address,
        "--json",
        "record",
        "--file",
        `${dir}/route.txt`,
      ]);
      assert.equal(json.code, 0, json.stderr.join("\n"));
      assert.equal(json.stdout.length, 1);
      const summary = JSON.parse(json.stdout[0]);
      assert.equal(typeof summary.elapsedTime, "number");
      assert.deepEqual(summary, {
        pointCount: 3,
        featureCount: 2,
        distance: routeMetres(route),
        elapsedTime: summary.elapsedTime,
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("chat sends stdin's notes and prints the earlier ones at each place", async () => {
  await withServer(async (server) => {
    const input = "1 1 first\n2 2 second\n\n1 1 third, with words\n1 1\n";
    const text = await runClient(["--addr", server.address, "chat"], input);
    assert.equal(text.code, 0, text.stderr.join("\n"));
    const at1 = "(lat=10000000, lng=10000000)";
    assert.deepEqual(text.stdout.filter((l) => !l.startsWith("<")), [
      `Sending RouteNote for ${at1}: first`,
      "Sending RouteNote for (lat=20000000, lng=20000000): second",
      `Sending RouteNote for ${at1}: third, with words`,
      `Sending RouteNote for ${at1}: `,
    ]);
    assert.deepEqual(text.stdout.filter((l) => l.startsWith("<")), [
      `< Found previous note at ${at1}: first`,
      `< Found previous note at ${at1}: first`,
      `< Found previous note at ${at1}: third, with words`,
    ]);

    // Notes are shared by every client: a second chat sees the first's.
    const json = await runClient(
      ["--addr", server.address, "--json", "chat"],
      "2 2 again\n",
    );
    assert.equal(json.code, 0, json.stderr.join("\n"));
    assert.deepEqual(json.stdout.map((l) => JSON.parse(l)), [
      {
        location: { latitude: 20_000_000, longitude: 20_000_000 },
        message: "second",
      },
    ]);
  });
});

Deno.test("chat with a bad stdin line or a note the server rejects fails in one line", async () => {
  await withServer(async (server) => {
    const [badLine, tooLong] = await Promise.all([
      runClient(["--addr", server.address, "chat"], "1 1 ok\nnorth 1 no\n"),
      runClient(
        ["--addr", server.address, "chat"],
        `1 1 ${"x".repeat(2000)}\n1 1 never sent\n`,
      ),
    ]);
    assertFailure(
      badLine,
      2,
      "routeguide client: chat: input line 2: latitude 'north' is not a number",
    );
    assertFailure(
      tooLong,
      1,
      "routeguide client: INVALID_ARGUMENT: note.message is 2000 UTF-8 bytes",
    );
  });
});

Deno.test("an unreachable server fails the demo and commands in one line", async () => {
  const address = refusedAddress();
  const runs = await Promise.all([
    runClient(["--addr", address]),
    runClient(["--addr", address, "feature", "1", "2"]),
    runClient(["--addr", address, "list", "1", "2", "3", "4"]),
    runClient(["--addr", address, "record"]),
    runClient(["--addr", address, "chat"], "1 1 hi\n"),
  ]);
  for (const run of runs) {
    assertFailure(
      run,
      1,
      `routeguide client: UNAVAILABLE: cannot reach ${address}: `,
    );
    assert.deepEqual(run.stdout.filter((l) => !l.startsWith("Sending")), []);
  }
});

Deno.test("a server that never answers fails at the --timeout deadline", async () => {
  await withSilentServer(async (address) => {
    // The whole line: grpc-js's timing internals are not shown.
    const line =
      `routeguide client: DEADLINE_EXCEEDED: no complete answer from ${address} within 0.5 s (see --timeout)`;
    const runs = await Promise.all([
      runClient(["--addr", address, "--timeout", "0.5"]),
      runClient(["--addr", address, "--timeout", "0.5", "feature", "1", "2"]),
      runClient([
        "--addr",
        address,
        "--timeout=0.5",
        "list",
        "1",
        "2",
        "3",
        "4",
      ]),
      runClient([
        "--addr",
        address,
        "--timeout",
        "0.5",
        "record",
        "--file",
        "/dev/null",
      ]),
      runClient(["--addr", address, "--timeout", "0.5", "chat"], "1 1 hi\n"),
    ]);
    for (const run of runs) {
      assertFailure(run, 1, line);
      assert.equal(run.stderr[0], line);
    }
  });
});

Deno.test("the demo gives up at the deadline when the server never handshakes", async () => {
  // A TCP listener that accepts and stays silent: the channel never gets
  // ready, so only the deadline can end the call.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) conns.push(conn);
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  })();
  try {
    const address = `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
    const run = await runClient(["--addr", address, "--timeout", "0.5"]);
    const line =
      `routeguide client: DEADLINE_EXCEEDED: no complete answer from ${address} within 0.5 s (see --timeout)`;
    assertFailure(run, 1, line);
    assert.equal(run.stderr[0], line);
  } finally {
    listener.close();
    await accepting;
    for (const conn of conns) conn.close();
  }
});

Deno.test("bad arguments fail in one line before any call", async () => {
  // Nothing listens at the address: a call would fail with exit 1, not 2.
  const addr = ["--addr", refusedAddress()];
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.txt`, "1 2\n1 2 3\n");
    await Deno.writeTextFile(
      `${dir}/bad.json`,
      '[{"location":{"latitude":1.5}}]',
    );
    const cases: [string[], string][] = [
      [
        ["feature", "91", "0"],
        "feature: latitude '91' is outside -90..90 degrees",
      ],
      [
        ["feature", "0", "-180.5"],
        "feature: longitude '-180.5' is outside -180..180",
      ],
      [["feature", "north", "0"], "feature: latitude 'north' is not a number"],
      [["feature", "1"], "feature takes 2 arguments, got 1"],
      [["list", "1", "2", "3"], "list takes 4 arguments, got 3"],
      [["bogus"], "unknown command 'bogus'"],
      [["--frob"], "Unknown option '--frob'"],
      [
        ["--timeout", "-1", "feature", "1", "1"],
        "--timeout must be a number of seconds >= 0, got '-1'",
      ],
      [["--timeout"], "Option '--timeout <value>' argument missing"],
      [
        ["record", "--points", "0"],
        "record: --points must be an integer >= 1, got '0'",
      ],
      [
        ["record", "--area", "1,2,3"],
        "record: area '1,2,3' is not LAT1,LNG1,LAT2,LNG2",
      ],
      [
        ["record", "--file", `${dir}/bad.txt`],
        `record: ${dir}/bad.txt: line 2: expected 'LAT LNG'`,
      ],
      [
        ["record", "--file", `${dir}/bad.json`],
        `${dir}/bad.json: entry 1: location.latitude/longitude must be integers`,
      ],
      [
        ["record", "--file", "x", "--points", "2"],
        "record: --file cannot be combined with --points or --area",
      ],
      [
        ["feature", "1", "2", "--points", "3"],
        "--points is an option of 'record' only",
      ],
      [["--json"], "--json applies to commands; the demo prints text"],
      [["--addr=", "feature", "1", "2"], "--addr must be HOST:PORT, got ''"],
      [
        ["--addr", "localhost:99999", "feature", "1", "2"],
        "--addr must be HOST:PORT with a port from 1 to 65535, got 'localhost:99999'",
      ],
      [
        ["--addr", "127.0.0.1:1,127.0.0.1:x", "feature", "1", "2"],
        "--addr must be HOST:PORT with a port from 1 to 65535, got '127.0.0.1:1,127.0.0.1:x'",
      ],
    ];
    const runs = await Promise.all(
      cases.map(([args]) => runClient([...addr, ...args])),
    );
    for (const [i, run] of runs.entries()) {
      assertFailure(run, 2, `routeguide client: ${cases[i][1]}`);
      assert.ok(run.stderr[0].endsWith("(see --help)"), run.stderr[0]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--help describes the client and each command", async () => {
  const [global, ...commands] = await Promise.all(
    [[], ["feature"], ["list"], ["record"], ["chat"]].map((command) =>
      runClient([...command, "--help"])
    ),
  );
  assert.equal(global.code, 0);
  assert.equal(
    global.stdout[0],
    "Usage: deno task client [options] [COMMAND [ARGS]]",
  );
  const help = global.stdout.join("\n");
  for (
    const text of [
      "feature LAT LNG",
      "list LAT1 LNG1 LAT2 LNG2",
      "record [--points N | --file FILE]",
      "chat ",
      "--addr HOST:PORT",
      "(default localhost:50051)",
      "--timeout SECONDS",
      "(default 10)",
      "--json",
    ]
  ) {
    assert.ok(help.includes(text), `global help lacks ${text}`);
  }
  const usages = [
    "Usage: deno task client [options] feature LAT LNG",
    "Usage: deno task client [options] list LAT1 LNG1 LAT2 LNG2",
    "Usage: deno task client [options] record [--points N | --file FILE]",
    "Usage: deno task client [options] chat < NOTES",
  ];
  for (const [i, run] of commands.entries()) {
    assert.equal(run.code, 0);
    assert.deepEqual(run.stderr, []);
    assert.equal(run.stdout[0], usages[i]);
  }
});
