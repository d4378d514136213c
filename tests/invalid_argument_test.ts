/**
 * Bad input gets INVALID_ARGUMENT naming the field and value, ends only the
 * call that sent it, and the server keeps answering.
 */
import assert from "node:assert/strict";
import { Status } from "../mod.ts";
import {
  assertStatus,
  ChatSession,
  collect,
  feature,
  note,
  pt,
  startTestServer,
  type TestServer,
} from "./helpers.ts";

const HOME = feature("Home", 10, 20);

async function assertStillServing(t: TestServer): Promise<void> {
  assert.deepEqual(await t.client.getFeature(pt(10, 20)), HOME);
}

Deno.test("GetFeature with latitude or longitude out of range is INVALID_ARGUMENT naming field and value", async () => {
  await using t = await startTestServer([HOME]);
  const cases: [number, number, string][] = [
    [900_000_001, 0, "point.latitude 900000001"],
    [-900_000_001, 0, "point.latitude -900000001"],
    [0, 1_800_000_001, "point.longitude 1800000001"],
    [0, -1_800_000_001, "point.longitude -1800000001"],
    [2_147_483_647, -2_147_483_648, "point.latitude 2147483647"],
  ];
  for (const [latitude, longitude, message] of cases) {
    await assertStatus(
      t.client.getFeature(pt(latitude, longitude)),
      Status.INVALID_ARGUMENT,
      message,
    );
  }
  await assertStillServing(t);
});

Deno.test("GetFeature accepts the exact edges of +-90 and +-180 degrees", async () => {
  await using t = await startTestServer();
  for (
    const p of [
      pt(900_000_000, 1_800_000_000),
      pt(-900_000_000, -1_800_000_000),
    ]
  ) {
    assert.deepEqual(await t.client.getFeature(p), { name: "", location: p });
  }
});

Deno.test("ListFeatures with a Rectangle missing lo or hi, or with a bad corner, is INVALID_ARGUMENT", async () => {
  await using t = await startTestServer([HOME]);
  const cases = [
    [{ lo: null, hi: pt(10, 10) }, "rectangle.lo is missing"],
    [{ lo: pt(0, 0), hi: null }, "rectangle.hi is missing"],
    [{ lo: null, hi: null }, "rectangle.lo is missing"],
    [
      { lo: pt(900_000_001, 0), hi: pt(0, 0) },
      "rectangle.lo.latitude 900000001",
    ],
    [
      { lo: pt(0, 0), hi: pt(0, -1_800_000_001) },
      "rectangle.hi.longitude -1800000001",
    ],
  ] as const;
  for (const [rectangle, message] of cases) {
    await assertStatus(
      collect(t.client.listFeatures(rectangle)),
      Status.INVALID_ARGUMENT,
      message,
    );
  }
  await assertStillServing(t);
});

Deno.test("RecordRoute ends with INVALID_ARGUMENT at a bad point; the server keeps serving", async () => {
  await using t = await startTestServer([HOME]);
  await assertStatus(
    t.client.recordRoute([
      pt(10, 20),
      pt(1, 1),
      pt(0, 1_800_000_001),
      pt(2, 2),
    ]),
    Status.INVALID_ARGUMENT,
    "point[2].longitude 1800000001",
  );
  // A later route is answered from scratch, as usual.
  assert.deepEqual(
    { ...await t.client.recordRoute([pt(10, 20)]), elapsedTime: 0 },
    { pointCount: 1, featureCount: 1, distance: 0, elapsedTime: 0 },
  );
  await assertStillServing(t);
});

Deno.test("RecordRoute answers INVALID_ARGUMENT while the client is still streaming", async () => {
  await using t = await startTestServer([HOME]);
  const stub = t.newStub();
  const status = Promise.withResolvers<{ code: number; details: string }>();
  const call = stub.RecordRoute((error) =>
    status.resolve(error ?? { code: 0, details: "" })
  );
  call.write(pt(1, 1));
  call.write(pt(900_000_001, 0));
  // No half-close: the server ends the call by itself.
  const { code, details } = await status.promise;
  assert.equal(code, Status.INVALID_ARGUMENT);
  assert.match(details, /point\[1\]\.latitude 900000001/);
  call.cancel();
  await assertStillServing(t);
});

Deno.test("RouteChat ends with INVALID_ARGUMENT at a note without a location; earlier notes stay", async () => {
  await using t = await startTestServer([HOME]);
  const chat = new ChatSession(t.newStub());
  chat.send(note("kept 1", 5, 5));
  chat.send(note("kept 2", 5, 5));
  assert.deepEqual(await chat.take(1), [note("kept 1", 5, 5)]);
  chat.send({ location: null, message: "nowhere" });
  await assertStatus(
    chat.done(),
    Status.INVALID_ARGUMENT,
    "note.location is missing",
  );
  chat.call.end();

  const next = new ChatSession(t.newStub());
  next.send(note("later", 5, 5));
  assert.deepEqual(await next.take(2), [
    note("kept 1", 5, 5),
    note("kept 2", 5, 5),
  ]);
  assert.deepEqual(await next.finish(), []);
  await assertStillServing(t);
});

Deno.test("RouteChat rejects a note at a location out of range", async () => {
  await using t = await startTestServer();
  const chat = new ChatSession(t.newStub());
  chat.send(note("far north", 900_000_001, 0));
  await assertStatus(
    chat.done(),
    Status.INVALID_ARGUMENT,
    "note.location.latitude 900000001",
  );
  chat.call.end();
});

Deno.test("RouteChat limits messages to 1,024 UTF-8 bytes, not characters", async () => {
  await using t = await startTestServer([HOME]);
  const fits = [
    "a".repeat(1024),
    "é".repeat(512), // 2 bytes each
    "€".repeat(341) + "a", // 3 bytes each: 1,024 bytes
    "😀".repeat(256), // 4 bytes each, 2 UTF-16 units each
  ];
  const tooLong = [
    ["a".repeat(1025), "1025"],
    ["é".repeat(513), "1026"], // 513 characters, 1,026 bytes
    ["€".repeat(342), "1026"], // 342 characters, 1,026 bytes
    ["😀".repeat(256) + "a", "1025"],
  ];
  for (const [i, message] of fits.entries()) {
    const chat = new ChatSession(t.newStub());
    chat.send(note(message, 1, i));
    chat.send(note("next", 1, i));
    assert.deepEqual(await chat.take(1), [note(message, 1, i)]);
    assert.deepEqual(await chat.finish(), []);
  }
  for (const [message, bytes] of tooLong) {
    const chat = new ChatSession(t.newStub());
    chat.send(note(message, 2, 2));
    const error = await assertStatus(
      chat.done(),
      Status.INVALID_ARGUMENT,
      "note.message",
    );
    assert.match(error.message, new RegExp(`\\b${bytes} UTF-8 bytes`));
    chat.call.end();
  }
  // None of the rejected notes was stored.
  const chat = new ChatSession(t.newStub());
  chat.send(note("probe", 2, 2));
  assert.deepEqual(await chat.finish(), []);
  await assertStillServing(t);
});
