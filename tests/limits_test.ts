/**
 * Limits: request size, RouteChat calls in total, idle connections, and
 * the grpc-js options each limit becomes.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  DEFAULT_LIMITS,
  FeatureDatabase,
  grpcOptionsFor,
  RouteGuideClient,
  type RouteNote,
  startServer,
  Status,
} from "../mod.ts";

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
  const server = await limitedServer({ limits: { maxConcurrentChats: 1 } });
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

Deno.test("a connection idle past --max-connection-idle is closed by the server", async () => {
  const server = await limitedServer({ limits: { maxConnectionIdleMs: 100 } });
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
