/**
 * Interop with a gRPC stack we did not write: Debian's python3-grpcio.
 * The Python program (tests/interop/route_guide_interop.py) runs all four
 * RPCs against our server, and serves RouteGuide for our client. Its
 * messages are generated here with Debian's protoc. Skipped, with the
 * reason printed, where python3 with grpcio or protoc is missing (CI
 * installs them: see .ci/run).
 */
import assert from "node:assert/strict";
import {
  distance,
  type Feature,
  FeatureDatabase,
  type Point,
  RouteGuideClient,
  startServer,
} from "../mod.ts";

const SCRIPT = "tests/interop/route_guide_interop.py";

/** The first python3 that imports grpc and protobuf (Debian's may not be first on PATH). */
async function findPython(): Promise<string | undefined> {
  for (const candidate of ["/usr/bin/python3", "python3"]) {
    try {
      const { success } = await new Deno.Command(candidate, {
        args: ["-c", "import grpc, google.protobuf"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (success) return candidate;
    } catch {
      // Not installed: try the next.
    }
  }
  return undefined;
}

async function hasProtoc(): Promise<boolean> {
  try {
    return (await new Deno.Command("protoc", {
      args: ["--version"],
      stdout: "null",
    }).output())
      .success;
  } catch {
    return false;
  }
}

const python = await findPython();
const protoc = await hasProtoc();
const skip = !python
  ? "python3 with grpcio and protobuf not found (apt-get install python3-grpcio python3-protobuf)"
  : !protoc
  ? "protoc not found (apt-get install protobuf-compiler)"
  : undefined;
if (skip) console.warn(`SKIPPING Python interop tests: ${skip}`);

/** Runs `fn` with a directory holding route_guide_pb2.py made by protoc. */
async function withGeneratedMessages(
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "routeguide-py-" });
  try {
    const { success, stderr } = await new Deno.Command("protoc", {
      args: ["-I", "protos", `--python_out=${dir}`, "protos/route_guide.proto"],
      stderr: "piped",
    }).output();
    assert.ok(success, new TextDecoder().decode(stderr));
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const FEATURES: Feature[] = [
  { name: "Alpha", location: { latitude: 10, longitude: 10 } },
  { name: "Beta", location: { latitude: 20, longitude: 20 } },
  { name: "", location: { latitude: 30, longitude: 30 } },
  { name: "Outside", location: { latitude: 1_000_000, longitude: 1_000_000 } },
];
const ROUTE: Point[] = [
  { latitude: 10, longitude: 10 },
  { latitude: 20, longitude: 20 },
  { latitude: 25, longitude: 25 },
  { latitude: 30, longitude: 30 },
];

function routeMetres(points: Point[]): number {
  let metres = 0;
  for (let i = 1; i < points.length; i++) {
    metres += distance(points[i - 1], points[i]);
  }
  return Math.trunc(metres);
}

Deno.test({
  name: "a Python grpcio client gets the right answers from all four RPCs",
  ignore: skip !== undefined,
  async fn() {
    const server = await startServer({
      host: "127.0.0.1",
      port: 0,
      features: new FeatureDatabase(FEATURES),
    });
    try {
      await withGeneratedMessages(async (gen) => {
        const { success, stdout, stderr } = await new Deno.Command(python!, {
          args: [SCRIPT, "--gen", gen, "client", server.address],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.ok(success, new TextDecoder().decode(stderr));
        const result = JSON.parse(new TextDecoder().decode(stdout));
        assert.deepEqual(result.get_named, {
          name: "Alpha",
          latitude: 10,
          longitude: 10,
        });
        assert.deepEqual(result.get_missing, {
          name: "",
          latitude: 11,
          longitude: 11,
        });
        assert.equal(result.get_invalid, "INVALID_ARGUMENT");
        assert.deepEqual(result.list, [
          { name: "Alpha", latitude: 10, longitude: 10 },
          { name: "Beta", latitude: 20, longitude: 20 },
          { name: "", latitude: 30, longitude: 30 },
        ]);
        assert.deepEqual(result.summary, {
          point_count: 4,
          feature_count: 3,
          distance: routeMetres(ROUTE),
          elapsed_time: 0,
        });
        // A's second note sees A's first; B, on another channel, sees both.
        assert.deepEqual(result.chat_a, ["a1"]);
        assert.deepEqual(result.chat_b, ["a1", "a2"]);
      });
    } finally {
      await server.close(0);
    }
  },
});

Deno.test({
  name:
    "our client gets the right answers from a Python grpcio RouteGuide server",
  ignore: skip !== undefined,
  async fn() {
    await withGeneratedMessages(async (gen) => {
      const db = `${gen}/db.json`;
      await Deno.writeTextFile(db, JSON.stringify(FEATURES));
      const child = new Deno.Command(python!, {
        args: [SCRIPT, "--gen", gen, "server", "--db", db],
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const lines = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      const first = await lines.read();
      const address = /listening on (\S+)/.exec(first.value ?? "")?.[1];
      const a = address ? new RouteGuideClient(address) : undefined;
      const b = address ? new RouteGuideClient(address) : undefined;
      try {
        assert.ok(address, `python server did not start: ${first.value}`);
        assert.deepEqual(
          await a!.getFeature({ latitude: 20, longitude: 20 }),
          FEATURES[1],
        );
        assert.deepEqual(await a!.getFeature({ latitude: 11, longitude: 11 }), {
          name: "",
          location: { latitude: 11, longitude: 11 },
        });
        assert.deepEqual(
          await Array.fromAsync(a!.listFeatures({
            lo: { latitude: 40, longitude: 40 },
            hi: { latitude: 0, longitude: 0 },
          })),
          FEATURES.slice(0, 3),
        );
        assert.deepEqual(await a!.recordRoute(ROUTE), {
          pointCount: 4,
          featureCount: 3,
          distance: routeMetres(ROUTE),
          elapsedTime: 0,
        });
        const here = { latitude: 7, longitude: 7 };
        const fromA = await Array.fromAsync(a!.routeChat([
          { location: here, message: "a1" },
          { location: here, message: "a2" },
        ]));
        const fromB = await Array.fromAsync(
          b!.routeChat([{ location: here, message: "b1" }]),
        );
        assert.deepEqual(fromA.map((n) => n.message), ["a1"]);
        assert.deepEqual(fromB.map((n) => n.message), ["a1", "a2"]);
      } finally {
        a?.close();
        b?.close();
        await child.stdin.close();
        await lines.cancel();
        await child.status;
      }
    });
  },
});
