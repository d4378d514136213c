/**
 * The adapter's event-driven fast paths for RecordRoute and RouteChat
 * answer exactly as the plain async-iterable handlers do: the same calls,
 * on seeded random data, against two real servers that differ only in
 * whether the handlers carry their fast path.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { mulberry32 } from "./helpers.ts";
import {
  createRouteGuide,
  FeatureDatabase,
  MemoryNoteBoard,
  type Point,
  RouteGuideClient,
  RouteGuideError,
  type RouteGuideHandlers,
  type RouteNote,
} from "../mod.ts";
import {
  routeGuideServerDefinition,
  toGrpcImplementation,
} from "../lib/grpc/grpc_adapter.ts";
import type {
  RecordRouteFastPath,
  RouteChatFastPath,
} from "../lib/domain/service.ts";

const next = mulberry32(7);
const grid = (): Point => ({
  latitude: Math.floor(next() * 20) * 1_000_000,
  longitude: Math.floor(next() * 20) * 1_000_000,
});
const features = Array.from({ length: 150 }, (_, i) => ({
  name: i % 7 === 0 ? "" : `F${i}`,
  location: grid(),
}));

/** A server over its own copy of the data; `plain` strips the fast paths. */
async function serve(plain: boolean) {
  const guide = createRouteGuide({
    features: new FeatureDatabase(structuredClone(features)),
    notes: new MemoryNoteBoard({ notesPerLocation: 3, maxLocations: 40 }),
    maxNotesPerCall: 60,
  });
  const handlers: RouteGuideHandlers = plain
    ? {
      ...guide,
      recordRoute: (points, context) => guide.recordRoute(points, context),
      routeChat: (notes, context) => guide.routeChat(notes, context),
    }
    : guide;
  assert.equal(
    "startRoute" in handlers.recordRoute &&
      "startChat" in handlers.routeChat,
    !plain,
  );
  const server = new grpc.Server();
  server.addService(
    routeGuideServerDefinition,
    toGrpcImplementation(handlers),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (error, port) => error ? reject(error) : resolve(port),
    )
  );
  const client = new RouteGuideClient(`127.0.0.1:${port}`);
  return {
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

/** A call's outcome: its answers, or its status code and message. */
async function outcome<T>(run: () => Promise<T>): Promise<unknown> {
  try {
    return { ok: await run() };
  } catch (error) {
    assert.ok(error instanceof RouteGuideError, String(error));
    return { code: error.code, message: error.message };
  }
}

/** Every note a RouteChat call returns, then how it ended. */
async function chat(client: RouteGuideClient, notes: RouteNote[]) {
  const received: RouteNote[] = [];
  const end = await outcome(async () => {
    for await (const note of client.routeChat(notes)) received.push(note);
  });
  return { received, end };
}

const BAD_POINT = { latitude: 900_000_001, longitude: 0 };

Deno.test("fast and plain RecordRoute give the same summaries and errors", async () => {
  await using fast = await serve(false);
  await using plain = await serve(true);
  assert.ok(
    (createRouteGuide({
      features: new FeatureDatabase([]),
      notes: new MemoryNoteBoard(),
    }).recordRoute as Partial<RecordRouteFastPath>).startRoute,
  );
  for (let call = 0; call < 30; call++) {
    const points = Array.from(
      { length: Math.floor(next() * 300) },
      () =>
        next() < 0.3 ? features[Math.floor(next() * 150)].location! : grid(),
    );
    if (call % 5 === 4) points.splice(points.length >> 1, 0, BAD_POINT);
    const [a, b] = await Promise.all(
      [fast, plain].map((s) =>
        outcome(async () => {
          const { elapsedTime: _, ...summary } = await s.client.recordRoute(
            points,
          );
          return summary;
        })
      ),
    );
    assert.deepEqual(a, b, `call ${call}`);
  }
});

Deno.test("fast and plain RouteChat give the same notes, errors and limits", async () => {
  await using fast = await serve(false);
  await using plain = await serve(true);
  assert.ok(
    (createRouteGuide({
      features: new FeatureDatabase([]),
      notes: new MemoryNoteBoard(),
    }).routeChat as Partial<RouteChatFastPath>).startChat,
  );
  for (let call = 0; call < 30; call++) {
    // Up to 70 notes (the limit is 60) at 60 locations (the board keeps 40).
    const notes: RouteNote[] = Array.from(
      { length: Math.floor(next() * 70) },
      (_, i) => ({
        location: {
          latitude: Math.floor(next() * 60),
          longitude: 1,
        },
        message: `c${call}n${i}`,
      }),
    );
    if (call % 6 === 5) {
      notes.splice(notes.length >> 1, 0, { location: null, message: "x" });
    }
    // Both servers see the same sequence of calls, one call at a time.
    const a = await chat(fast.client, notes);
    const b = await chat(plain.client, notes);
    assert.deepEqual(a, b, `call ${call}`);
  }
});
