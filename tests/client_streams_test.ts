/**
 * RouteGuideClient's streaming calls at their edges: a client that
 * half-closes at once, a source that fails, a call that fails while the
 * client is still sending. A real server on 127.0.0.1 port 0.
 */
import assert from "node:assert/strict";
import {
  FeatureDatabase,
  type Point,
  RouteGuideClient,
  RouteGuideError,
  type RouteNote,
  startServer,
  Status,
} from "../mod.ts";

async function withClient(
  fn: (client: RouteGuideClient) => Promise<void>,
): Promise<void> {
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    features: new FeatureDatabase([]),
  });
  const client = new RouteGuideClient(server.address);
  try {
    await fn(client);
  } finally {
    client.close();
    await server.close(0);
  }
}

function note(message: string, at: number): RouteNote {
  return { location: { latitude: at, longitude: at }, message };
}

/** Rejects after `ms` unless cleared: a guard, so a hang fails the test. */
function failAfter(ms: number, what: string): {
  promise: Promise<never>;
  clear: () => void;
} {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return { promise, clear: () => clearTimeout(timer) };
}

Deno.test("routeChat sent all at once returns every earlier note, then ends", async () => {
  await withClient(async (client) => {
    const [n1, n2, n3, n4, n5, n6] = [1, 2, 1, 2, 1, 1].map((at, i) =>
      note(`n${i + 1}`, at)
    );
    // The client half-closes right after its last note: the server must
    // still send every answer and its status (a deadline bounds a hang).
    const received = await Array.fromAsync(
      client.routeChat([n1, n2, n3, n4, n5, n6], { timeoutMs: 10_000 }),
    );
    assert.deepEqual(received, [n1, n2, n1, n3, n1, n3, n5]);
  });
});

Deno.test("routeChat whose source throws cancels and throws the source's error", async () => {
  await withClient(async (client) => {
    const failure = new Error("source broke");
    async function* notes(): AsyncGenerator<RouteNote> {
      yield note("kept", 7);
      yield note("asks for kept", 7);
      throw failure;
    }
    const received: RouteNote[] = [];
    await assert.rejects(
      async () => {
        for await (const n of client.routeChat(notes())) received.push(n);
      },
      (error) => error === failure,
    );
    assert.ok(received.length <= 1);
  });
});

Deno.test("recordRoute whose source throws rejects with the source's error", async () => {
  await withClient(async (client) => {
    const failure = new Error("source broke");
    async function* points(): AsyncGenerator<Point> {
      yield { latitude: 1, longitude: 1 };
      throw failure;
    }
    await assert.rejects(client.recordRoute(points()), (e) => e === failure);
  });
});

Deno.test("recordRoute stops pulling its source once the server fails the call", async () => {
  await withClient(async (client) => {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => finish = resolve);
    let pulled = 0;
    function* points(): Generator<Point> {
      try {
        // The first point is invalid: the server ends the call at once,
        // while the client still has many points to send.
        yield { latitude: 900_000_001, longitude: 0 };
        for (; pulled < 200_000; pulled++) {
          yield { latitude: pulled % 1000, longitude: 0 };
        }
      } finally {
        finish();
      }
    }
    await assert.rejects(
      client.recordRoute(points()),
      (error) =>
        error instanceof RouteGuideError &&
        error.code === Status.INVALID_ARGUMENT,
    );
    const guard = failAfter(10_000, "the source was not closed");
    try {
      await Promise.race([finished, guard.promise]);
    } finally {
      guard.clear();
    }
    assert.ok(pulled < 200_000, `pulled all ${pulled} points`);
  });
});

Deno.test("a stream never iterated makes no call, so its failure cannot go uncaught", async () => {
  let started = 0;
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    handlers: {
      getFeature: (location) => ({ name: "", location }),
      listFeatures() {
        started++;
        throw new RouteGuideError(Status.INVALID_ARGUMENT, "no");
      },
      recordRoute: () => ({
        add() {},
        finish: () => ({
          pointCount: 0,
          featureCount: 0,
          distance: 0,
          elapsedTime: 0,
        }),
      }),
      routeChat() {
        started++;
        return { note: () => [] };
      },
    },
  });
  const client = new RouteGuideClient(server.address);
  try {
    // Made, never read: before, each call started at once and its failure
    // was an uncaught error that ended the process.
    client.listFeatures({ lo: null, hi: null });
    client.routeChat([note("unread", 1)]);
    // A call made after them answers after they would have arrived.
    await client.getFeature({ latitude: 1, longitude: 1 });
    assert.equal(started, 0);
    // Read, the same calls start and fail as they should.
    await assert.rejects(
      Array.fromAsync(client.listFeatures({ lo: null, hi: null })),
      (error: unknown) =>
        error instanceof RouteGuideError &&
        error.code === Status.INVALID_ARGUMENT,
    );
    assert.equal(started, 1);
  } finally {
    client.close();
    await server.close(0);
  }
});
