/**
 * MemoryNoteBoard: bounds per location, in locations and in bytes, least
 * recently used eviction, and what it keeps of a note passed to it.
 */
import assert from "node:assert/strict";
import { MemoryNoteBoard } from "../mod.ts";
import { noteBytes } from "../lib/domain/notes.ts";
import { collect, note, startTestServer } from "./helpers.ts";

const messages = (notes: readonly { message: string }[]) =>
  notes.map((n) => n.message);

Deno.test("a board keeping one note per location answers with the one before, and a second location's notes stay apart", () => {
  const board = new MemoryNoteBoard({ notesPerLocation: 1 });
  assert.deepEqual(messages(board.exchangeSync(note("a", 1, 1))), []);
  assert.deepEqual(messages(board.exchangeSync(note("x", 2, 2))), []);
  assert.deepEqual(messages(board.exchangeSync(note("b", 1, 1))), ["a"]);
  assert.deepEqual(messages(board.exchangeSync(note("c", 1, 1))), ["b"]);
  assert.deepEqual(messages(board.exchangeSync(note("y", 2, 2))), ["x"]);
});

Deno.test("a location's notes grow from one to the bound, oldest dropped first, and answers are snapshots", () => {
  const board = new MemoryNoteBoard({ notesPerLocation: 2 });
  board.exchangeSync(note("a", 1, 1));
  const first = board.exchangeSync(note("b", 1, 1));
  assert.deepEqual(messages(first), ["a"]);
  assert.deepEqual(messages(board.exchangeSync(note("c", 1, 1))), ["a", "b"]);
  assert.deepEqual(messages(board.exchangeSync(note("d", 1, 1))), ["b", "c"]);
  assert.deepEqual(messages(first), ["a"]);
});

Deno.test("the least recently used location is evicted, single-note locations included", () => {
  const board = new MemoryNoteBoard({ maxLocations: 2 });
  board.exchangeSync(note("a", 1, 1));
  board.exchangeSync(note("b", 2, 2));
  board.exchangeSync(note("a2", 1, 1)); // 1 is now used last
  board.exchangeSync(note("c", 3, 3)); // evicts 2
  assert.equal(board.locations, 2);
  assert.deepEqual(messages(board.exchangeSync(note("b2", 2, 2))), []);
  assert.deepEqual(messages(board.exchangeSync(note("c2", 3, 3))), ["c"]);
});

Deno.test("exchange stores a copy: changing the note afterwards changes nothing on the board", async () => {
  const board = new MemoryNoteBoard();
  const reused = note("first", 1, 1);
  await board.exchange(reused);
  reused.message = "changed";
  reused.location!.latitude = 9;
  assert.deepEqual(await board.exchange(note("second", 1, 1)), [
    note("first", 1, 1),
  ]);
});

Deno.test("notes count 2 bytes per UTF-16 unit of their message plus 256 against maxBytes", () => {
  assert.equal(noteBytes(note("", 1, 1)), 256);
  assert.equal(noteBytes(note("abc", 1, 1)), 262);
  assert.equal(noteBytes(note("€🚲", 1, 1)), 262); // 1 + 2 UTF-16 units
  assert.throws(() => new MemoryNoteBoard({ maxBytes: 0 }), RangeError);
});

Deno.test("past maxBytes the least recently used locations are evicted: stored bytes stay within it, the newest notes survive", () => {
  const text = (i: number) => `note ${i}`.padEnd(100, ".");
  const perNote = noteBytes(note(text(0), 0, 0));
  const board = new MemoryNoteBoard({
    notesPerLocation: 1,
    maxBytes: 10 * perNote,
  });
  for (let i = 1; i <= 25; i++) {
    board.exchangeSync(note(text(i), i, i));
    // Location 1, used again, stays among the most recently used.
    if (i % 5 === 0) board.exchangeSync(note(text(1), 1, 1));
    assert.ok(board.bytes <= 10 * perNote, `${board.bytes} bytes after ${i}`);
  }
  assert.equal(board.bytes, 10 * perNote);
  assert.equal(board.locations, 10);
  // One note per location: asking replaces a note with one of the same size.
  for (const i of [1, 17, 18, 19, 20, 21, 22, 23, 24, 25]) {
    assert.deepEqual(messages(board.exchangeSync(note(text(i), i, i))), [
      text(i),
    ]);
  }
  assert.deepEqual(messages(board.exchangeSync(note(text(16), 16, 16))), []);
});

Deno.test("a location alone past maxBytes keeps its newest notes within it", () => {
  const perNote = noteBytes(note("x".repeat(100), 0, 0));
  const board = new MemoryNoteBoard({ maxBytes: 3 * perNote + 10 });
  for (let i = 0; i < 10; i++) {
    board.exchangeSync(note(`${i}`.padEnd(100, "x"), 1, 1));
    assert.ok(board.bytes <= 3 * perNote + 10);
  }
  assert.deepEqual(
    messages(board.exchangeSync(note("probe", 1, 1))).map((m) => m[0]),
    ["7", "8", "9"],
  );
});

Deno.test("a server's note board past maxBytes answers from the newest locations only", async () => {
  const text = (i: number) => `note ${i}`.padEnd(1_000, ".");
  await using t = await startTestServer([], {
    notesPerLocation: 1,
    maxBytes: 50 * noteBytes(note(text(0), 0, 0)),
  });
  await collect(
    t.client.routeChat(
      Array.from({ length: 200 }, (_, i) => note(text(i), i, i)),
    ),
  );
  const answers = await collect(
    t.client.routeChat([note(text(199), 199, 199), note(text(150), 150, 150)]),
  );
  assert.deepEqual(messages(answers), [text(199), text(150)]);
  assert.deepEqual(
    await collect(t.client.routeChat([note(text(149), 149, 149)])),
    [],
  );
});

Deno.test("live notes: a watcher hears others' later notes at its places, not its own, up to 100 places per chat and 100 chats per place", () => {
  const board = new MemoryNoteBoard();
  const heard = new Map<number, string[]>();
  const watcher = (id: number) => {
    heard.set(id, []);
    return (n: { message: string }) => heard.get(id)!.push(n.message);
  };
  const ann = watcher(0);
  board.exchangeSync(note("ann at 1", 1, 1), ann);
  board.exchangeSync(note("bob at 1", 1, 1));
  board.exchangeSync(note("bob at 2", 2, 2));
  board.exchangeSync(note("ann again", 1, 1), ann);
  assert.deepEqual(heard.get(0), ["bob at 1"]);
  // Ann writes at 100 more places: place 1, her oldest, is dropped.
  for (let i = 0; i < 100; i++) {
    board.exchangeSync(note("ann", 10 + i, 0), ann);
  }
  board.exchangeSync(note("bob at 1 again", 1, 1));
  board.exchangeSync(note("bob at 10", 10, 0));
  assert.deepEqual(heard.get(0), ["bob at 1", "bob at 10"]);
  // 101 chats write at place 3: the first to write no longer hears it.
  const chats = Array.from({ length: 101 }, (_, i) => watcher(100 + i));
  for (const chat of chats) board.exchangeSync(note("here", 3, 3), chat);
  board.exchangeSync(note("to all at 3", 3, 3));
  assert.equal(heard.get(100)!.includes("to all at 3"), false);
  assert.equal(heard.get(101)!.at(-1), "to all at 3");
  assert.equal(heard.get(200)!.at(-1), "to all at 3");
  // Once unwatched, nothing more.
  board.unwatch(ann);
  board.exchangeSync(note("bob at 10 again", 10, 0));
  assert.deepEqual(heard.get(0), ["bob at 1", "bob at 10"]);
});
