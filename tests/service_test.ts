/**
 * The four RouteGuide calls over a real server on 127.0.0.1:0 and a real
 * grpc-js client: the reference cases and the decided semantics.
 */
import assert from "node:assert/strict";
import {
  createRouteGuide,
  FeatureDatabase,
  MemoryNoteBoard,
  type NoteBoard,
  type Point,
  type RouteNote,
  Status,
} from "../mod.ts";
import {
  ChatSession,
  collect,
  feature,
  note,
  pt,
  startTestServer,
} from "./helpers.ts";

/** Haversine written apart from lib/domain/geo.ts, so the test checks it. */
function metresBetween(a: Point, b: Point): number {
  const rad = (e7: number) => (e7 / 1e7) * (Math.PI / 180);
  const h = Math.sin((rad(b.latitude) - rad(a.latitude)) / 2) ** 2 +
    Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) *
      Math.sin((rad(b.longitude) - rad(a.longitude)) / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(h));
}

function routeMetres(points: Point[]): number {
  let sum = 0;
  for (let i = 1; i < points.length; i++) {
    sum += metresBetween(points[i - 1], points[i]);
  }
  return Math.trunc(sum);
}

Deno.test("GetFeature returns an unnamed feature where there is none, the named one once it exists", async () => {
  const where = pt(409_146_138, -746_188_906);
  {
    await using t = await startTestServer([feature("Elsewhere", 1, 1)]);
    assert.deepEqual(await t.client.getFeature(where), {
      name: "",
      location: where,
    });
  }
  {
    await using t = await startTestServer([
      feature("Elsewhere", 1, 1),
      feature(
        "Berkshire Valley Management Area Trail",
        409_146_138,
        -746_188_906,
      ),
    ]);
    assert.deepEqual(await t.client.getFeature(where), {
      name: "Berkshire Valley Management Area Trail",
      location: where,
    });
  }
});

Deno.test("GetFeature matches the exact E7 point only, first of duplicates", async () => {
  await using t = await startTestServer([
    feature("First", 100, 200),
    feature("Second", 100, 200),
  ]);
  assert.equal((await t.client.getFeature(pt(100, 200))).name, "First");
  assert.equal((await t.client.getFeature(pt(100, 201))).name, "");
  assert.equal((await t.client.getFeature(pt(101, 200))).name, "");
});

Deno.test("ListFeatures over (0,0)-(10,10) returns exactly the three inside, in database order, for every diagonal", async () => {
  const db = [
    feature("Outside", 11, 5),
    feature("Named corner", 10, 10),
    feature("", 5, 5),
    feature("Named origin", 0, 0),
    feature("Also outside", 5, -1),
  ];
  const inside = [db[1], db[2], db[3]];
  await using t = await startTestServer(db);
  for (
    const [lo, hi] of [
      [pt(0, 0), pt(10, 10)],
      [pt(10, 10), pt(0, 0)],
      [pt(0, 10), pt(10, 0)],
      [pt(10, 0), pt(0, 10)],
    ]
  ) {
    assert.deepEqual(
      await collect(t.client.listFeatures({ lo, hi })),
      inside,
      `lo=${JSON.stringify(lo)} hi=${JSON.stringify(hi)}`,
    );
  }
});

Deno.test("ListFeatures over an empty area or an empty database streams nothing", async () => {
  {
    await using t = await startTestServer([feature("Far", 500, 500)]);
    assert.deepEqual(
      await collect(t.client.listFeatures({ lo: pt(0, 0), hi: pt(10, 10) })),
      [],
    );
  }
  {
    await using t = await startTestServer([]);
    assert.deepEqual(
      await collect(t.client.listFeatures({ lo: pt(0, 0), hi: pt(10, 10) })),
      [],
    );
  }
});

Deno.test("ListFeatures over the whole world returns every feature, one message each", async () => {
  const db = Array.from(
    { length: 5_000 },
    (_, i) => feature(`f${i}`, (i * 35_993) % 1_800_000_000 - 900_000_000, i),
  );
  db.push(feature("north-east", 900_000_000, 1_800_000_000));
  db.push(feature("south-west", -900_000_000, -1_800_000_000));
  await using t = await startTestServer(db);
  const world = {
    lo: pt(-900_000_000, -1_800_000_000),
    hi: pt(900_000_000, 1_800_000_000),
  };
  assert.deepEqual(await collect(t.client.listFeatures(world)), db);
});

Deno.test("RecordRoute from (1000,1000) to (4000,4000) counts points and features and sums haversine metres", async () => {
  const route = [1000, 2000, 3000, 4000].map((c) => pt(c, c));
  await using t = await startTestServer([
    feature("On route", 2000, 2000),
    feature("", 4000, 4000),
    feature("Beside route", 2000, 3000),
  ]);
  const summary = await t.client.recordRoute(route);
  assert.equal(summary.pointCount, 4);
  assert.equal(summary.featureCount, 2);
  const expected = routeMetres(route);
  assert.ok(expected > 0);
  assert.equal(summary.distance, expected);
  assert.equal(summary.elapsedTime, 0);
});

Deno.test("RecordRoute counts a repeated point on a feature each time", async () => {
  await using t = await startTestServer([feature("Home", 7, 7)]);
  const summary = await t.client.recordRoute([pt(7, 7), pt(7, 7), pt(8, 8)]);
  assert.equal(summary.pointCount, 3);
  assert.equal(summary.featureCount, 2);
});

Deno.test("RecordRoute truncates the summed distance once, not per leg", async () => {
  // 54 E7 units of latitude is about 0.6 m: every leg alone truncates to 0.
  const route = Array.from({ length: 11 }, (_, i) => pt(i * 54, 0));
  assert.equal(Math.trunc(metresBetween(route[0], route[1])), 0);
  await using t = await startTestServer();
  const summary = await t.client.recordRoute(route);
  assert.equal(summary.distance, routeMetres(route));
  assert.ok(summary.distance >= 6, `distance ${summary.distance}`);
});

Deno.test("RecordRoute distance saturates at the int32 maximum", async () => {
  // Each leg is half the earth's circumference (~20,015 km); 199 legs
  // are ~3.98e9 m, past 2^31 - 1.
  const route = Array.from(
    { length: 200 },
    (_, i) => pt(0, i % 2 === 0 ? 0 : 1_800_000_000),
  );
  await using t = await startTestServer();
  const summary = await t.client.recordRoute(route);
  assert.equal(summary.pointCount, 200);
  assert.equal(summary.distance, 2 ** 31 - 1);
});

Deno.test("RecordRoute with no points answers all zeros", async () => {
  await using t = await startTestServer([feature("x", 0, 0)]);
  assert.deepEqual(await t.client.recordRoute([]), {
    pointCount: 0,
    featureCount: 0,
    distance: 0,
    elapsedTime: 0,
  });
});

Deno.test("RecordRoute elapsed time runs from the call's start to the client's half-close", async () => {
  await using t = await startTestServer();
  const held = Promise.withResolvers<void>();
  const timer = setTimeout(held.resolve, 1_100);
  async function* slowRoute() {
    yield pt(0, 0);
    await held.promise; // the time being measured, not synchronisation
    yield pt(10, 10);
  }
  try {
    const summary = await t.client.recordRoute(slowRoute());
    assert.equal(summary.pointCount, 2);
    assert.ok(
      summary.elapsedTime >= 1,
      `elapsed ${summary.elapsedTime} s after holding the call 1.1 s`,
    );
  } finally {
    clearTimeout(timer);
  }
});

Deno.test("RouteChat n1(p1) n2(p2) n3(p1) n4(p2) n5(p1) n6(p1) returns nothing, nothing, [n1], [n2], [n1,n3], [n1,n3,n5]", async () => {
  await using t = await startTestServer();
  const p1 = pt(1, 1), p2 = pt(2, 2);
  const n = [
    note("n1", 1, 1),
    note("n2", 2, 2),
    note("n3", 1, 1),
    note("n4", 2, 2),
    note("n5", 1, 1),
    note("n6", 1, 1),
  ];
  assert.deepEqual(n.map((x) => x.location), [p1, p2, p1, p2, p1, p1]);
  const expected = [[], [], [n[0]], [n[1]], [n[0], n[2]], [n[0], n[2], n[4]]];
  const chat = new ChatSession(t.newStub());
  const got = [];
  for (let i = 0; i < n.length; i++) {
    chat.send(n[i]);
    got.push(await chat.take(expected[i].length));
  }
  // Nothing else: the server streams per note in order, so any extra
  // (an echo, a duplicate) would have shifted the lists above or shows here.
  assert.deepEqual(await chat.finish(), []);
  assert.deepEqual(got, expected);
});

Deno.test("RouteChat through the library client yields the same notes", async () => {
  await using t = await startTestServer();
  const notes = [note("a", 5, 5), note("b", 5, 5), note("c", 5, 5)];
  assert.deepEqual(await collect(t.client.routeChat(notes)), [
    notes[0],
    notes[0],
    notes[1],
  ]);
});

Deno.test("RouteChat shares notes across clients: a note from A reaches B, and B's reaches A live", async () => {
  await using t = await startTestServer();
  // A deadline, so that a live note that never comes fails the test.
  const within = { deadline: Date.now() + 10_000 };
  const a = new ChatSession(t.newStub(true), within);
  const b = new ChatSession(t.newStub(true), within);
  a.send(note("from A", 3, 4));
  a.send(note("A again", 3, 4));
  // A hearing its first note back means both of A's notes are stored.
  assert.deepEqual(await a.take(1), [note("from A", 3, 4)]);
  b.send(note("from B", 3, 4));
  assert.deepEqual(await b.take(2), [
    note("from A", 3, 4),
    note("A again", 3, 4),
  ]);
  // A has written at (3, 4): B's note reaches it without A sending more.
  assert.deepEqual(await a.take(1), [note("from B", 3, 4)]);
  // A note elsewhere reaches neither; B's own note is not echoed to B.
  const c = new ChatSession(t.newStub(true));
  c.send(note("elsewhere", 5, 6));
  assert.deepEqual(await c.finish(), []);
  a.send(note("A last", 3, 4));
  assert.deepEqual(await a.take(3), [
    note("from A", 3, 4),
    note("A again", 3, 4),
    note("from B", 3, 4),
  ]);
  assert.deepEqual(await b.take(1), [note("A last", 3, 4)]);
  assert.deepEqual(await a.finish(), []);
  assert.deepEqual(await b.finish(), []);
});

Deno.test("RouteChat stops sending live notes to a chat once it ends, and holds those that come while a note's answer is made", async () => {
  const guide = createRouteGuide({
    features: new FeatureDatabase([]),
    notes: new MemoryNoteBoard(),
  });
  const sent: string[] = [];
  const context = (name: string) => ({
    signal: new AbortController().signal,
    send: (n: RouteNote) => sent.push(`${name} <- ${n.message}`),
  });
  const here = { latitude: 3, longitude: 4 };
  const a = guide.routeChat(context("a"));
  a.note({ location: here, message: "from A" });
  a.end?.();
  const b = guide.routeChat(context("b"));
  b.note({ location: here, message: "from B" });
  assert.deepEqual(sent, []); // A has ended: nothing for it
  b.end?.();

  // A board that answers later: a live note that comes meanwhile waits
  // for the answer to have gone out.
  const board = new MemoryNoteBoard();
  const later: NoteBoard = {
    exchange: (n, watcher) => Promise.resolve(board.exchangeSync(n, watcher)),
    unwatch: (watcher) => board.unwatch(watcher),
    close: () => board.close(),
  };
  const slow = createRouteGuide({
    features: new FeatureDatabase([]),
    notes: later,
  });
  const c = slow.routeChat(context("c"));
  await c.note({ location: here, message: "from C" });
  const answer = c.note({ location: here, message: "C again" });
  board.exchangeSync({ location: here, message: "from D" }); // before C's answer
  await answer;
  assert.deepEqual(sent, []);
  c.answered?.();
  assert.deepEqual(sent, ["c <- from D"]);
  c.end?.();
});

Deno.test("RouteChat keeps only the newest notes per location", async () => {
  await using t = await startTestServer([], { notesPerLocation: 3 });
  const chat = new ChatSession(t.newStub());
  for (let i = 1; i <= 5; i++) {
    chat.send(note(`n${i}`, 1, 1));
    await chat.take(Math.min(i - 1, 3));
  }
  chat.send(note("n6", 1, 1));
  assert.deepEqual(
    (await chat.take(3)).map((x) => x.message),
    ["n3", "n4", "n5"],
  );
  assert.deepEqual(await chat.finish(), []);
});

Deno.test("RouteChat evicts the least recently used location past max-locations", async () => {
  await using t = await startTestServer([], { maxLocations: 2 });
  const chat = new ChatSession(t.newStub());
  chat.send(note("a1", 1, 1));
  chat.send(note("b1", 2, 2));
  chat.send(note("a2", 1, 1)); // uses A: B is now the least recent
  assert.deepEqual(await chat.take(1), [note("a1", 1, 1)]);
  chat.send(note("c1", 3, 3)); // a third location evicts B
  chat.send(note("a3", 1, 1));
  assert.deepEqual(await chat.take(2), [note("a1", 1, 1), note("a2", 1, 1)]);
  chat.send(note("b2", 2, 2)); // B was forgotten
  chat.send(note("b3", 2, 2));
  assert.deepEqual(await chat.take(1), [note("b2", 2, 2)]);
  assert.deepEqual(await chat.finish(), []);
});

Deno.test("RouteChat ends a call past max-notes-per-call with RESOURCE_EXHAUSTED; its notes stay", async () => {
  await using t = await startTestServer([], { maxNotesPerCall: 3 });
  const chat = new ChatSession(t.newStub());
  for (let i = 1; i <= 3; i++) chat.send(note(`n${i}`, 1, 1));
  assert.equal((await chat.take(3)).length, 3);
  chat.send(note("n4", 1, 1));
  await assert.rejects(chat.done(), (e: { code: number; message: string }) => {
    assert.equal(e.code, Status.RESOURCE_EXHAUSTED);
    assert.match(e.message, /3/);
    return true;
  });
  // A new call may send again and sees the first call's three notes.
  const next = new ChatSession(t.newStub());
  next.send(note("later", 1, 1));
  assert.deepEqual(
    (await next.take(3)).map((x) => x.message),
    ["n1", "n2", "n3"],
  );
  assert.deepEqual(await next.finish(), []);
});

Deno.test("RouteChat ends the server side when the client half-closes", async () => {
  await using t = await startTestServer();
  const chat = new ChatSession(t.newStub());
  assert.deepEqual(await chat.finish(), []);
});

Deno.test("RouteChat from concurrent clients: each gets the notes stored before each of its own, and the others' live, in order", async () => {
  const CLIENTS = 4, NOTES = 10;
  await using t = await startTestServer();
  // The observer writes first and sends nothing more: it hears every
  // later note live, in the order the board stored them. Its second note,
  // at a place seeded before, is answered only once "start" is stored.
  await collect(t.newClient().routeChat([note("seed", 8, 8)]));
  const observer = new ChatSession(t.newStub(true), {
    deadline: Date.now() + 20_000,
  });
  observer.send(note("start", 7, 7));
  observer.send(note("ready", 8, 8));
  assert.deepEqual(await observer.take(1), [note("seed", 8, 8)]);
  const streams = await Promise.all(
    Array.from({ length: CLIENTS }, (_, c) =>
      collect(
        t.newClient().routeChat(
          Array.from({ length: NOTES }, (_, n) => note(`c${c}n${n}`, 7, 7)),
        ),
      )),
  );
  const order = [
    "start",
    ...(await observer.take(CLIENTS * NOTES)).map((x) => x.message),
  ];
  assert.equal(new Set(order).size, CLIENTS * NOTES + 1); // none doubled
  for (let c = 0; c < CLIENTS; c++) {
    // What client c hears, replaying the board's order: at each of its
    // notes, every note stored before it; once it has written, each
    // other client's note as it is stored.
    const expected: string[] = [];
    let lastAnswered = 0;
    let watching = false;
    for (let i = 0; i < order.length; i++) {
      if (order[i].startsWith(`c${c}n`)) {
        expected.push(...order.slice(0, i));
        lastAnswered = expected.length;
        watching = true;
      } else if (watching) expected.push(order[i]);
    }
    // Its call ends some time after its last note: it heard a prefix of
    // the live notes stored after that.
    const heard = streams[c].map((x) => x.message);
    assert.ok(heard.length >= lastAnswered, `client ${c}`);
    assert.deepEqual(heard, expected.slice(0, heard.length), `client ${c}`);
  }
  assert.deepEqual(await observer.finish(), []);
});
