/**
 * Bytes no well-behaved client sends: each fails at most its own call, with
 * the right status, and the server goes on answering (lib/grpc/grpc_js_fixes.ts,
 * lib/grpc/outbound.ts).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import zlib from "node:zlib";
import {
  FeatureDatabase,
  RouteGuideClient,
  type RouteGuideError,
  startServer,
  Status,
} from "../mod.ts";
import type { ServerOptions } from "../mod.ts";
import {
  encodePoint,
  encodeRectangle,
  encodeRouteNote,
} from "../lib/grpc/wire_encode.ts";
import { grpcFrame } from "../bench/data.ts";
import {
  assertStatus,
  collect,
  note,
  pt,
  startServerProcess,
  WORLD,
  writeDbFile,
} from "./helpers.ts";
import { gridFeatures } from "./_prod_helpers.ts";
import {
  anotherCall,
  bytesCall,
  FRAME,
  type Frame,
  readFrames,
  stalledCall,
} from "./_raw_http2.ts";

const HERE = pt(1, 1);
const GET_FEATURE = "/routeguide.RouteGuide/GetFeature";
const LIST_FEATURES = "/routeguide.RouteGuide/ListFeatures";
const ROUTE_CHAT = "/routeguide.RouteGuide/RouteChat";
const HEALTH_CHECK = "/grpc.health.v1.Health/Check";

async function hostServer(options: ServerOptions = {}) {
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    features: new FeatureDatabase([{ name: "Here", location: HERE }]),
    ...options,
  });
  const client = new RouteGuideClient(server.address, {
    token: options.token,
  });
  return {
    server,
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      await server.close(0);
    },
  };
}

/** A gRPC message with the compressed flag set. */
function compressed(body: Uint8Array): Uint8Array {
  const framed = grpcFrame(body);
  framed[0] = 1;
  return framed;
}

/** Fails if `promise` has not settled within `ms`: a bound, not a wait. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("a message flagged gzip or deflate that is not fails its call with INTERNAL, before auth too; the server goes on", async () => {
  await using s = await hostServer({ token: "s3cret" });
  for (const encoding of ["gzip", "deflate"]) {
    const answer = await bytesCall(
      s.server.port,
      HEALTH_CHECK,
      compressed(Buffer.from("this is not compressed")),
      { "grpc-encoding": encoding },
    );
    assert.equal(answer.code, Status.INTERNAL, answer.message);
    assert.match(answer.message, new RegExp(`not valid ${encoding}`));
  }
  // Valid compressed messages still work.
  const valid = await bytesCall(
    s.server.port,
    HEALTH_CHECK,
    compressed(zlib.gzipSync(new Uint8Array())),
    { "grpc-encoding": "gzip" },
  );
  assert.equal(valid.code, Status.OK);
  assert.equal((await s.client.getFeature(HERE)).name, "Here");
});

Deno.test("a compressed message that inflates past the receive limit gets RESOURCE_EXHAUSTED", async () => {
  await using s = await hostServer();
  const answer = await bytesCall(
    s.server.port,
    GET_FEATURE,
    compressed(zlib.gzipSync(new Uint8Array(10 << 20))),
    { "grpc-encoding": "gzip" },
  );
  assert.equal(answer.code, Status.RESOURCE_EXHAUSTED, answer.message);
  assert.match(answer.message, /decompresses to more than 65536 bytes/);
  assert.equal((await s.client.getFeature(HERE)).name, "Here");
});

Deno.test("a request that is not application/grpc gets HTTP 415", async () => {
  await using s = await hostServer();
  for (const type of ["application/json", "text/plain"]) {
    const answer = await bytesCall(
      s.server.port,
      GET_FEATURE,
      grpcFrame(encodePoint(HERE)),
      { "content-type": type },
    );
    assert.equal(answer.status, 415, type);
  }
});

Deno.test("grpc-timeout must be 1-8 digits and a unit: INVALID_ARGUMENT otherwise; the longest valid one is no deadline", async () => {
  await using s = await hostServer();
  const request = grpcFrame(encodePoint(HERE));
  for (const timeout of ["abc", "1X", "-5S", "1 S", "123456789S", "5"]) {
    const answer = await bytesCall(s.server.port, GET_FEATURE, request, {
      "grpc-timeout": timeout,
    });
    assert.equal(answer.code, Status.INVALID_ARGUMENT, timeout);
    assert.match(answer.message, /Invalid grpc-timeout/);
  }
  for (const timeout of ["99999999H", "5S", "100m"]) {
    const answer = await bytesCall(s.server.port, GET_FEATURE, request, {
      "grpc-timeout": timeout,
    });
    assert.equal(answer.code, Status.OK, `${timeout}: ${answer.message}`);
  }
});

Deno.test("valid notes sent in the same write as an oversized one are stored before the call ends with RESOURCE_EXHAUSTED", async () => {
  await using s = await hostServer();
  const spots = [pt(10, 10), pt(20, 20), pt(30, 30)];
  const notes = Buffer.concat(
    spots.map((spot, i) =>
      grpcFrame(encodeRouteNote({ location: spot, message: `valid ${i}` }))
    ),
  );
  // A header announcing a 1 MiB note, and its first bytes.
  const oversized = Buffer.alloc(5 + 100);
  oversized.writeUInt32BE(1 << 20, 1);
  const answer = await bytesCall(
    s.server.port,
    ROUTE_CHAT,
    Buffer.concat([notes, oversized]),
  );
  assert.equal(answer.code, Status.RESOURCE_EXHAUSTED, answer.message);
  for (const [i, spot] of spots.entries()) {
    const earlier = await collect(
      s.client.routeChat([note("check", spot.latitude, spot.longitude)]),
    );
    assert.deepEqual(earlier.map((n) => n.message), [`valid ${i}`]);
  }
});

Deno.test("a deadline that passes while the client reads nothing resets the stream; 100 of them leave the connection usable", async () => {
  await using s = await hostServer({
    features: new FeatureDatabase(gridFeatures(20_000)),
  });
  const streams = 100;
  const conn = await stalledCall(
    s.server.port,
    LIST_FEATURES,
    encodeRectangle(WORLD),
    streams,
    1,
    { headers: { "grpc-timeout": "200m" } },
  );
  try {
    const ended = (frames: Frame[]) =>
      new Set(
        frames.filter((f) =>
          f.type === FRAME.RST_STREAM ||
          (f.type === FRAME.HEADERS && (f.flags & 0x1) !== 0)
        ).map((f) => f.stream),
      );
    // The frames are read but no window is granted: the answers stay stuck.
    await within(10_000, readFrames(conn, (f) => ended(f).size === streams));
    const id = 2 * streams + 1;
    await anotherCall(conn, id, GET_FEATURE, encodePoint(pt(0, 0)));
    const frames = await within(
      10_000,
      readFrames(
        conn,
        (f) =>
          f.some((x) =>
            x.stream === id && x.type === FRAME.HEADERS && (x.flags & 0x1) !== 0
          ),
      ),
    );
    assert.ok(
      frames.some((f) => f.stream === id && f.type === FRAME.DATA),
      "the new call was answered",
    );
  } finally {
    conn.close();
  }
});

Deno.test("past the outbound budget, the connection holding most has its calls reset with ENHANCE_YOUR_CALM (RESOURCE_EXHAUSTED)", async () => {
  await using s = await hostServer({
    features: new FeatureDatabase(gridFeatures(20_000)),
    limits: { connectionWindowBytes: 64 << 10, maxQueuedBytes: 256 << 10 },
  });
  const conns = await Promise.all(
    Array.from(
      { length: 8 },
      () =>
        stalledCall(s.server.port, LIST_FEATURES, encodeRectangle(WORLD), 4),
    ),
  );
  const ENHANCE_YOUR_CALM = 0xb;
  const calmed = (frames: Frame[]) =>
    frames.some((f) =>
      f.type === FRAME.RST_STREAM &&
      new DataView(f.payload.buffer).getUint32(0) === ENHANCE_YOUR_CALM
    );
  try {
    await within(
      10_000,
      Promise.any(conns.map((conn) => readFrames(conn, calmed))),
    );
    // Others are served meanwhile.
    assert.equal((await s.client.getFeature(pt(0, 0))).name, "feature 0");
  } finally {
    for (const conn of conns) conn.close();
  }
});

Deno.test("close() ends within the grace period plus a second while a client holds a never-read stream", async () => {
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    features: new FeatureDatabase(gridFeatures(20_000)),
  });
  const conn = await stalledCall(
    server.port,
    LIST_FEATURES,
    encodeRectangle(WORLD),
  );
  try {
    const start = performance.now();
    await within(2_500, server.close(500));
    assert.ok(performance.now() - start < 1_500);
  } finally {
    conn.close();
  }
});

Deno.test("server.ts exits within --grace plus a second of SIGTERM while a client holds a never-read stream", async () => {
  const db = await writeDbFile(gridFeatures(20_000));
  await using server = await startServerProcess(["--db", db, "--grace", "1"]);
  (async () => {
    while (await server.nextLine() !== undefined);
  })();
  const port = Number(server.address.split(":").at(-1));
  const conn = await stalledCall(port, LIST_FEATURES, encodeRectangle(WORLD));
  try {
    // The call is under way once its answer starts.
    await within(
      5_000,
      readFrames(conn, (f) => f.some((x) => x.type === FRAME.DATA)),
    );
    const start = performance.now();
    server.child.kill("SIGTERM");
    const { code } = await within(5_000, server.exit());
    const seconds = (performance.now() - start) / 1000;
    assert.equal(code, 0);
    assert.ok(seconds < 2, `exited ${seconds.toFixed(1)} s after SIGTERM`);
  } finally {
    conn.close();
  }
});

Deno.test("calls past --max-concurrent-calls get RESOURCE_EXHAUSTED, whatever the connection; a slot frees when a call ends", async () => {
  await using s = await hostServer({
    features: new FeatureDatabase(gridFeatures(20_000)),
    limits: { maxConcurrentCalls: 2 },
  });
  const conn = await stalledCall(
    s.server.port,
    LIST_FEATURES,
    encodeRectangle(WORLD),
    2,
  );
  try {
    // Both stalled calls are under way once their answers start.
    await within(
      5_000,
      readFrames(
        conn,
        (f) =>
          new Set(f.filter((x) => x.type === FRAME.DATA).map((x) => x.stream))
            .size === 2,
      ),
    );
    await assert.rejects(
      s.client.getFeature(pt(0, 0)),
      (error: RouteGuideError) =>
        error.code === Status.RESOURCE_EXHAUSTED &&
        /already running 2 calls/.test(error.message),
    );
  } finally {
    conn.close();
  }
  // Once the server sees the connection go, its calls end.
  for (let i = 0;; i++) {
    try {
      assert.equal((await s.client.getFeature(pt(0, 0))).name, "feature 0");
      break;
    } catch (error) {
      if (i === 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
});

Deno.test("connections past --max-connections are closed as they arrive", async () => {
  await using s = await hostServer({ limits: { maxConnections: 1 } });
  assert.equal((await s.client.getFeature(HERE)).name, "Here");
  const other = new RouteGuideClient(s.server.address, {
    channelOptions: { "grpc.use_local_subchannel_pool": 1 },
  });
  try {
    await assertStatus(
      other.getFeature(HERE, { timeoutMs: 2_000 }),
      Status.UNAVAILABLE,
    );
  } finally {
    other.close();
  }
});
