/**
 * Cancellation and deadlines: a client that leaves a stream early or runs
 * out of time ends the call on the server too, the server stops working on
 * it, reports no internal error, and keeps answering.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import {
  type CallContext,
  createRouteGuide,
  FeatureDatabase,
  MemoryNoteBoard,
  RouteGuideClient,
  type RouteGuideHandlers,
  Status,
} from "../mod.ts";
import { routeGuideServiceDefinition } from "../lib/grpc/proto.ts";
import { toGrpcImplementation } from "../lib/grpc/grpc_adapter.ts";
import type { Feature, Point } from "../mod.ts";
import {
  assertStatus,
  bindLoopback,
  collect,
  feature,
  note,
  pt,
  startTestServer,
  WORLD,
} from "./helpers.ts";

/** Fails the test if `promise` has not settled within `ms` (a bound, not a wait). */
async function within<T>(
  ms: number,
  what: string,
  promise: Promise<T>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what}: not within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A real grpc-js server running the real adapter over handlers the test
 * can watch, with internal errors collected instead of logged.
 */
async function startWatchedServer(
  wrap: (base: RouteGuideHandlers) => Partial<RouteGuideHandlers>,
  features: Feature[] = [],
) {
  const base = createRouteGuide({
    features: new FeatureDatabase(features),
    notes: new MemoryNoteBoard(),
  });
  const reports: unknown[] = [];
  const server = new grpc.Server();
  server.addService(
    routeGuideServiceDefinition,
    toGrpcImplementation(
      { ...base, ...wrap(base) },
      (method, error) => reports.push([method, error]),
    ),
  );
  const address = await bindLoopback(server);
  const client = new RouteGuideClient(address);
  return {
    client,
    reports,
    async [Symbol.asyncDispose]() {
      client.close();
      await new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      });
    },
  };
}

Deno.test("ListFeatures stops pulling features as soon as the client cancels mid-stream", async () => {
  // An endless supply: the server can only stop by noticing the cancel.
  const CAP = 5_000_000;
  const stopped = Promise.withResolvers<number>();
  await using s = await startWatchedServer(() => ({
    *listFeatures() {
      let pulled = 0;
      try {
        while (pulled < CAP) {
          pulled++;
          yield feature(`f${pulled}`, pulled % 900_000_000, 0);
        }
      } finally {
        stopped.resolve(pulled);
      }
    },
  }));
  let received = 0;
  for await (const _ of s.client.listFeatures(WORLD)) {
    if (++received === 1_000) break; // cancels the call
  }
  const pulled = await within(60_000, "server stop", stopped.promise);
  // It stops within a few buffers of the cancel, far from the end.
  assert.ok(pulled < 100_000, `server pulled ${pulled} features`);
  assert.ok(pulled >= 1_000);
  assert.deepEqual(s.reports, []);
});

Deno.test("ListFeatures cancelled mid-stream over a large database leaves the server answering", async () => {
  const db = Array.from(
    { length: 200_000 },
    (_, i) =>
      feature(`f${i}`, (i * 4_499) % 900_000_000, (i * 8_999) % 1_800_000_000),
  );
  await using t = await startTestServer(db);
  const controller = new AbortController();
  const seen: Feature[] = [];
  await assertStatus(
    (async () => {
      for await (
        const f of t.client.listFeatures(WORLD, { signal: controller.signal })
      ) {
        seen.push(f);
        if (seen.length === 10) controller.abort();
      }
    })(),
    Status.CANCELLED,
  );
  assert.deepEqual(seen, db.slice(0, seen.length));
  // The server still answers, on the same and on a fresh channel.
  assert.deepEqual(await t.client.getFeature(db[7].location!), db[7]);
  const fresh = t.newClient();
  assert.deepEqual(
    await collect(fresh.listFeatures({ lo: pt(0, 0), hi: db[3].location! })),
    db.slice(0, 4).filter((f) =>
      f.location!.latitude <= db[3].location!.latitude &&
      f.location!.longitude <= db[3].location!.longitude
    ),
  );
});

/**
 * Wraps a session so that `outcome` settles when its call ends: "cancelled"
 * if it ended unfinished with the call's signal aborted, "finished" if the
 * handler gave its answer.
 */
function watched<S extends { end?(): void }>(
  session: S,
  context: CallContext,
  outcome: PromiseWithResolvers<string>,
): S & { finish?(): unknown } {
  let finished = false;
  const finish = (session as { finish?: () => unknown }).finish;
  return {
    ...session,
    ...finish && {
      finish() {
        finished = true;
        return finish.call(session);
      },
    },
    end() {
      session.end?.();
      outcome.resolve(
        finished ? "finished" : context.signal.aborted ? "cancelled" : "ended",
      );
    },
  };
}

/** Asserts that the handler's side of a call ended as a cancel (in time). */
async function assertServerCancelled(serverSide: Promise<string>) {
  assert.equal(
    await within(10_000, "server side end", serverSide),
    "cancelled",
  );
}

Deno.test("a RecordRoute that never half-closes ends with DEADLINE_EXCEEDED; the server sees a cancel, not an error", async () => {
  const serverSide = Promise.withResolvers<string>();
  await using s = await startWatchedServer((base) => ({
    recordRoute: (context) =>
      watched(base.recordRoute(context), context, serverSide),
  }));
  const release = Promise.withResolvers<void>();
  async function* neverEnding(): AsyncGenerator<Point> {
    yield pt(1, 1);
    await release.promise;
  }
  try {
    await assertStatus(
      s.client.recordRoute(neverEnding(), { timeoutMs: 300 }),
      Status.DEADLINE_EXCEEDED,
    );
    await assertServerCancelled(serverSide.promise);
    assert.deepEqual(s.reports, []);
  } finally {
    release.resolve();
  }
  assert.deepEqual(await s.client.getFeature(pt(1, 1)), {
    name: "",
    location: pt(1, 1),
  });
});

Deno.test("a RouteChat past its deadline ends with DEADLINE_EXCEEDED; the server sees a cancel, not an error", async () => {
  const serverSide = Promise.withResolvers<string>();
  await using s = await startWatchedServer((base) => ({
    routeChat: (context) =>
      watched(base.routeChat(context), context, serverSide),
  }));
  const release = Promise.withResolvers<void>();
  async function* oneNoteThenWait() {
    yield note("hello", 1, 1);
    await release.promise;
  }
  try {
    await assertStatus(
      collect(s.client.routeChat(oneNoteThenWait(), { timeoutMs: 300 })),
      Status.DEADLINE_EXCEEDED,
    );
    await assertServerCancelled(serverSide.promise);
  } finally {
    release.resolve();
  }
});

Deno.test("a client aborting RecordRoute gets CANCELLED; the server counts it as a cancel", async () => {
  const serverSide = Promise.withResolvers<string>();
  const twoPointsIn = Promise.withResolvers<void>();
  await using s = await startWatchedServer((base) => ({
    recordRoute(context) {
      const route = base.recordRoute(context);
      let n = 0;
      return watched(
        {
          ...route,
          add(point) {
            if (++n === 2) twoPointsIn.resolve();
            return route.add(point);
          },
        },
        context,
        serverSide,
      );
    },
  }));
  const controller = new AbortController();
  const release = Promise.withResolvers<void>();
  async function* route(): AsyncGenerator<Point> {
    yield pt(1, 1);
    yield pt(2, 2);
    await twoPointsIn.promise; // the call is under way on the server
    controller.abort();
    await release.promise;
  }
  try {
    await assertStatus(
      s.client.recordRoute(route(), { signal: controller.signal }),
      Status.CANCELLED,
    );
    await assertServerCancelled(serverSide.promise);
    assert.deepEqual(s.reports, []);
  } finally {
    release.resolve();
  }
});
