/**
 * MemoryNoteBoard: bounds per location and in locations, least recently
 * used eviction, and what it keeps of a note passed to it.
 */
import assert from "node:assert/strict";
import { MemoryNoteBoard } from "../mod.ts";
import { note } from "./helpers.ts";

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
