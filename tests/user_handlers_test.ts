/**
 * `startServer` serves any handler object written to the one contract
 * (`RouteGuideHandlers`): one written here from scratch, and the service
 * behind handlers that answer everything through promises, which must
 * answer exactly as the service itself (synchronous answers) does: the
 * same calls, on seeded random data, against two real servers.
 */
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
  type RouteSummary,
  startServer,
  Status,
} from "../mod.ts";

Deno.test("startServer serves a handler object written here, over the wire", async () => {
  const seen: string[] = [];
  const handlers: RouteGuideHandlers = {
    getFeature: (point) => ({ name: `at ${point.latitude}`, location: point }),
    *listFeatures(rectangle) {
      for (let i = 0; i < 3; i++) {
        yield { name: `f${i}`, location: rectangle.lo };
      }
    },
    recordRoute() {
      let pointCount = 0;
      return {
        add(point) {
          if (point.latitude < 0) {
            throw new RouteGuideError(Status.OUT_OF_RANGE, "south");
          }
          pointCount++;
        },
        finish: (): RouteSummary => ({
          pointCount,
          featureCount: 7,
          distance: 0,
          elapsedTime: 0,
        }),
        end: () => seen.push("route ended"),
      };
    },
    routeChat() {
      return {
        // Answers come later, through a promise.
        note: (note) =>
          Promise.resolve([{ ...note, message: `echo ${note.message}` }]),
        end: () => seen.push("chat ended"),
      };
    },
  };
  const server = await startServer({ host: "127.0.0.1", port: 0, handlers });
  const client = new RouteGuideClient(server.address);
  try {
    const here = { latitude: 5, longitude: 6 };
    assert.equal((await client.getFeature(here)).name, "at 5");
    const listed = await Array.fromAsync(
      client.listFeatures({ lo: here, hi: here }),
    );
    assert.deepEqual(listed.map((f) => f.name), ["f0", "f1", "f2"]);
    assert.equal((await client.recordRoute([here, here])).featureCount, 7);
    await assert.rejects(
      client.recordRoute([here, { latitude: -1, longitude: 0 }]),
      (error) =>
        error instanceof RouteGuideError && error.code === Status.OUT_OF_RANGE,
    );
    const echoed = await Array.fromAsync(
      client.routeChat([{ location: here, message: "hi" }]),
    );
    assert.deepEqual(echoed.map((n) => n.message), ["echo hi"]);
    assert.deepEqual(seen.toSorted(), [
      "chat ended",
      "route ended",
      "route ended",
    ]);
  } finally {
    client.close();
    await server.close(1_000);
  }
});

const next = mulberry32(7);
const grid = (): Point => ({
  latitude: Math.floor(next() * 20) * 1_000_000,
  longitude: Math.floor(next() * 20) * 1_000_000,
});
const features = Array.from({ length: 150 }, (_, i) => ({
  name: i % 7 === 0 ? "" : `F${i}`,
  location: grid(),
}));

/**
 * A server over its own copy of the data; `later` answers every request
 * through a promise, as a handler that waits on I/O would.
 */
async function serve(later: boolean) {
  const guide = createRouteGuide({
    features: new FeatureDatabase(structuredClone(features)),
    notes: new MemoryNoteBoard({ notesPerLocation: 3, maxLocations: 40 }),
    chat: { maxNotesPerCall: 60 },
  });
  const handlers: RouteGuideHandlers = later
    ? {
      ...guide,
      recordRoute(context) {
        const route = guide.recordRoute(context);
        return {
          add: async (point) => await route.add(point),
          finish: async () => await route.finish(),
        };
      },
      routeChat(context) {
        const chat = guide.routeChat(context);
        return { note: async (note) => await chat.note(note), end: chat.end };
      },
    }
    : guide;
  const server = await startServer({ host: "127.0.0.1", port: 0, handlers });
  const client = new RouteGuideClient(server.address);
  return {
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      await server.close(1_000);
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

Deno.test("handlers that answer through promises give the same RecordRoute summaries and errors", async () => {
  await using fast = await serve(false);
  await using plain = await serve(true);
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

Deno.test("handlers that answer through promises give the same RouteChat notes, errors and limits", async () => {
  await using fast = await serve(false);
  await using plain = await serve(true);
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
