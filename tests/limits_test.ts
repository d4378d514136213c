/**
 * Limits: request size, streams per connection, RouteChat calls in total,
 * idle and old connections, and the grpc-js options each limit becomes.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  FeatureDatabase,
  RouteGuideClient,
  type RouteNote,
  type ServerLimits,
  startServer,
  Status,
} from "../mod.ts";
import { DEFAULT_LIMITS } from "../lib/grpc/limits.ts";
import { grpcOptionsFor } from "../lib/grpc/limits.ts";
import { routeGuideServiceDefinition } from "../lib/grpc/proto.ts";
import { FRAME, type Frame, readFrames, stalledCall } from "./_raw_http2.ts";

const here = { latitude: 1, longitude: 2 };
const note = (message: string): RouteNote => ({ location: here, message });

function limitedServer(limits: Parameters<typeof startServer>[0] = {}) {
  return startServer({
    host: "127.0.0.1",
    port: 0,
    features: new FeatureDatabase([{ name: "Here", location: here }]),
    ...limits,
  });
}

Deno.test("a request larger than --max-receive-message-bytes gets RESOURCE_EXHAUSTED", async () => {
  const server = await limitedServer({
    limits: { maxReceiveMessageBytes: 100 },
  });
  const client = new RouteGuideClient(server.address);
  try {
    assert.deepEqual(
      await Array.fromAsync(client.routeChat([note("small")])),
      [],
    );
    await assert.rejects(
      Array.fromAsync(client.routeChat([note("x".repeat(200))])),
      (error: { code: number }) => error.code === Status.RESOURCE_EXHAUSTED,
    );
    // The server is still up.
    assert.equal((await client.getFeature(here)).name, "Here");
  } finally {
    client.close();
    await server.close(0);
  }
});

Deno.test("RouteChat calls past --max-concurrent-chats get RESOURCE_EXHAUSTED until one ends", async () => {
  const server = await limitedServer({ chat: { maxConcurrentChats: 1 } });
  const client = new RouteGuideClient(server.address);
  const release = Promise.withResolvers<void>();
  async function* held() {
    yield note("first");
    yield note("second");
    await release.promise;
  }
  try {
    const first = client.routeChat(held())[Symbol.asyncIterator]();
    // An answer proves the first call holds the one slot.
    assert.equal((await first.next()).value?.message, "first");
    await assert.rejects(
      Array.fromAsync(client.routeChat([note("third")])),
      (error: { code: number; message: string }) => {
        assert.equal(error.code, Status.RESOURCE_EXHAUSTED);
        assert.match(error.message, /already running 1 RouteChat calls/);
        return true;
      },
    );
    release.resolve();
    assert.equal((await first.next()).done, true);
    // The slot is free again.
    const earlier = await Array.fromAsync(client.routeChat([note("fourth")]));
    assert.deepEqual(earlier.map((n) => n.message), ["first", "second"]);
  } finally {
    release.resolve();
    client.close();
    await server.close(0);
  }
});

/** Connects a plain grpc-js client and resolves once the server sends it away. */
async function untilServerSendsAway(
  limits: Partial<ServerLimits>,
): Promise<void> {
  const server = await limitedServer({ limits });
  const client = new grpc.Client(
    server.address,
    grpc.credentials.createInsecure(),
  );
  try {
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(
        Date.now() + 5_000,
        (error) => error ? reject(error) : resolve(),
      )
    );
    const channel = client.getChannel();
    assert.equal(
      channel.getConnectivityState(false),
      grpc.connectivityState.READY,
    );
    // The server's GOAWAY moves the channel out of READY; without it this
    // deadline passes and the state is still READY.
    await new Promise<void>((resolve) =>
      channel.watchConnectivityState(
        grpc.connectivityState.READY,
        Date.now() + 10_000,
        () => resolve(),
      )
    );
    assert.equal(
      channel.getConnectivityState(false),
      grpc.connectivityState.IDLE,
    );
  } finally {
    client.close();
    await server.close(0);
  }
}

Deno.test("a connection idle past --max-connection-idle is closed by the server", async () => {
  await untilServerSendsAway({
    maxConnectionIdleMs: 100,
    maxConnectionAgeMs: 0,
  });
});

Deno.test("a connection older than --max-connection-age is sent away", async () => {
  await untilServerSendsAway({
    maxConnectionIdleMs: 0,
    maxConnectionAgeMs: 100,
  });
});

Deno.test("limits become grpc-js options; 0 turns a time limit off", () => {
  assert.deepEqual(grpcOptionsFor(DEFAULT_LIMITS), {
    "grpc.max_receive_message_length": 65_536,
    "grpc.max_concurrent_streams": 100,
    "grpc.keepalive_time_ms": 60_000,
    "grpc.keepalive_timeout_ms": 20_000,
    "grpc.max_connection_idle_ms": 900_000,
    "grpc.max_connection_age_ms": 3_600_000,
    "grpc.max_connection_age_grace_ms": 300_000,
  });
  const off = grpcOptionsFor({
    ...DEFAULT_LIMITS,
    keepaliveTimeMs: 0,
    maxConnectionIdleMs: 0,
    maxConnectionAgeMs: 0,
    maxConnectionAgeGraceMs: 0,
  });
  assert.equal(off["grpc.keepalive_time_ms"], 2 ** 31 - 1);
  assert.equal(off["grpc.max_connection_idle_ms"], 2 ** 31 - 1);
  assert.equal(off["grpc.max_connection_age_ms"], 2 ** 31 - 1);
  assert.equal(off["grpc.max_connection_age_grace_ms"], 2 ** 31 - 1);
});

Deno.test("--max-concurrent-streams is advertised and streams past it are refused", async () => {
  const server = await limitedServer({ limits: { maxConcurrentStreams: 1 } });
  const request = routeGuideServiceDefinition.GetFeature.requestSerialize(here);
  // Three calls at once on one connection (streams 1, 3 and 5).
  const conn = await stalledCall(
    server.port,
    "/routeguide.RouteGuide/GetFeature",
    request,
    3,
  );
  try {
    const refused = (frames: Frame[]) =>
      frames.filter((f) => f.type === FRAME.RST_STREAM).map((f) => f.stream);
    const answered = (frames: Frame[]) =>
      frames.some((f) =>
        f.type === FRAME.HEADERS && f.stream === 1 && (f.flags & 0x1) !== 0
      );
    const frames = await readFrames(
      conn,
      (f) => refused(f).length === 2 && answered(f),
    );
    const settings = frames.find((f) =>
      f.type === FRAME.SETTINGS && f.payload.length > 0
    )!;
    const view = new DataView(settings.payload.buffer);
    const advertised = new Map<number, number>();
    for (let i = 0; i < settings.payload.length; i += 6) {
      advertised.set(view.getUint16(i), view.getUint32(i + 2));
    }
    assert.equal(advertised.get(0x3), 1); // SETTINGS_MAX_CONCURRENT_STREAMS
    assert.deepEqual(refused(frames), [3, 5]);
    for (const rst of frames.filter((f) => f.type === FRAME.RST_STREAM)) {
      assert.equal(new DataView(rst.payload.buffer).getUint32(0), 0x7); // REFUSED_STREAM
    }
  } finally {
    conn.close();
    await server.close(0);
  }
});
