/**
 * The RouteChat note board: notes left at locations, shared by every client
 * of a server, with bounded memory.
 *
 * @module
 */
import type { RouteNote } from "./types.ts";

/**
 * Where RouteChat keeps notes. `exchange` returns the earlier notes at the
 * note's location, oldest first, and then stores the note: one atomic step,
 * so that concurrent callers never miss or double a note. Given a watcher,
 * the board also passes it every note that others leave at that location
 * from then on, until `unwatch`: live RouteChat.
 *
 * @example A note board of your own, serving RouteChat
 * ```ts
 * import assert from "node:assert/strict";
 * import { type NoteBoard } from "./notes.ts";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { createRouteGuide } from "./service.ts";
 * import type { RouteNote } from "./types.ts";
 * // Counts the notes it stores, keeping them in a MemoryNoteBoard.
 * class CountingBoard implements NoteBoard {
 *   count = 0;
 *   #inner = new MemoryNoteBoard();
 *   exchange(note: RouteNote): Promise<readonly RouteNote[]> {
 *     this.count++;
 *     return this.#inner.exchange(note);
 *   }
 *   close = (): Promise<void> => this.#inner.close();
 * }
 * const notes = new CountingBoard();
 * const guide = createRouteGuide({ features: new FeatureDatabase([]), notes });
 * const chat = guide.routeChat({ signal: new AbortController().signal, send() {} });
 * const here = { latitude: 1, longitude: 1 };
 * assert.deepEqual(await chat.note({ location: here, message: "first" }), []);
 * const earlier = await chat.note({ location: here, message: "second" });
 * assert.deepEqual(earlier.map((note) => note.message), ["first"]);
 * assert.equal(notes.count, 2);
 * chat.end?.();
 * await notes.close();
 * ```
 */
export interface NoteBoard {
  /**
   * Earlier notes at `note.location`, oldest first; then stores `note`.
   * With `watcher`, later notes that others leave there go to `watcher`
   * (never one that is also among the earlier notes). A board that does
   * not support watching ignores it.
   */
  exchange(
    note: RouteNote,
    watcher?: (note: RouteNote) => void,
  ): Promise<readonly RouteNote[]>;
  /**
   * Optional: {@link exchange} without a promise, for boards that answer
   * synchronously (in-process ones); RouteChat then costs no promise per
   * note. The board may keep `note` itself rather than a copy: pass a note
   * that nobody changes afterwards (RouteChat passes each decoded note).
   */
  exchangeSync?(
    note: RouteNote,
    watcher?: (note: RouteNote) => void,
  ): readonly RouteNote[];
  /** Stops passing notes to `watcher` (the chat has ended). */
  unwatch?(watcher: (note: RouteNote) => void): void;
  /** Releases connections; the board is unusable afterwards. */
  close(): Promise<void>;
  /**
   * Whether the board's store can be reached now. Absent on boards that
   * cannot fail (the in-memory one): treat as always healthy.
   */
  readonly healthy?: boolean;
  /**
   * Calls `listener` with the new state whenever {@link healthy} changes;
   * returns a function that stops the calls. Absent when health never changes.
   */
  onHealthChange?(listener: (healthy: boolean) => void): () => void;
}

/**
 * Bounds on what a {@link MemoryNoteBoard} keeps.
 *
 * @example Keeping two notes per location and two locations
 * ```ts
 * import assert from "node:assert/strict";
 * import { type NoteBoardLimits } from "./notes.ts";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
 * const limits: NoteBoardLimits = { notesPerLocation: 2, maxLocations: 2 };
 * const board = new MemoryNoteBoard(limits);
 * const at = (latitude: number) => ({ latitude, longitude: 0 });
 * for (const message of ["a", "b", "c"]) board.exchangeSync({ location: at(1), message });
 * const kept = board.exchangeSync({ location: at(1), message: "d" });
 * assert.deepEqual(kept.map((note) => note.message), ["b", "c"]); // the newest two
 * board.exchangeSync({ location: at(2), message: "x" });
 * board.exchangeSync({ location: at(3), message: "y" }); // evicts location 1, the least recently used
 * assert.equal(board.locations, 2);
 * assert.deepEqual(board.exchangeSync({ location: at(1), message: "e" }), []);
 * ```
 */
export interface NoteBoardLimits {
  /** Newest notes kept per location (default 100). */
  notesPerLocation?: number;
  /** Locations kept; the least recently used is evicted (default 100,000). */
  maxLocations?: number;
  /**
   * Memory the notes may take, in bytes, each note counted as
   * {@link noteBytes} (the heap it takes at most); the least recently used
   * locations are evicted to stay within it (default 10 MiB). This is what
   * bounds the board's memory: the counts alone allow 10 million notes.
   * Only the in-process board applies it: Redis bounds its own memory
   * (`maxmemory`).
   */
  maxBytes?: number;
}

/**
 * Default newest notes kept per location.
 *
 * @example A default board keeps the newest 100 notes at a location
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_NOTES_PER_LOCATION } from "./notes.ts";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
 * const board = new MemoryNoteBoard();
 * const location = { latitude: 0, longitude: 0 };
 * for (let i = 0; i <= DEFAULT_NOTES_PER_LOCATION; i++) board.exchangeSync({ location, message: `${i}` });
 * const kept = board.exchangeSync({ location, message: "last" });
 * assert.equal(kept.length, 100);
 * assert.equal(kept[0].message, "1");
 * ```
 */
export const DEFAULT_NOTES_PER_LOCATION = 100;
/**
 * Default number of locations kept.
 *
 * @example RouteChat's default bound on locations
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_MAX_LOCATIONS } from "./notes.ts";
 * import { DEFAULT_ROUTE_CHAT_LIMITS } from "./service.ts";
 * assert.equal(DEFAULT_MAX_LOCATIONS, 100_000);
 * assert.equal(DEFAULT_ROUTE_CHAT_LIMITS.maxLocations, DEFAULT_MAX_LOCATIONS);
 * ```
 */
export const DEFAULT_MAX_LOCATIONS = 100_000;
/**
 * Default {@link NoteBoardLimits.maxBytes}, 10 MiB: about 4,500 notes of
 * 1 KiB, or 35,000 of 20 characters. Budget: a full board adds at most
 * 64 MB to a server's RSS. Measured with notes evicted and replaced as fast
 * as clients send them (tests/note_memory_test.ts): 34-43 MB for the
 * costliest notes (1 KiB with a character above U+00FF), 12-19 MB for
 * 1 KiB of ASCII or for empty notes. That is up to four times the bytes
 * kept: V8 lets evicted notes pile up before a full collection.
 *
 * @example About 4,500 notes of 1 KiB fit
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_MAX_NOTE_BOARD_BYTES, noteBytes } from "./notes.ts";
 * assert.equal(DEFAULT_MAX_NOTE_BOARD_BYTES, 10 * 2 ** 20);
 * const kib = noteBytes({ location: null, message: "x".repeat(1024) });
 * assert.equal(Math.floor(DEFAULT_MAX_NOTE_BOARD_BYTES / kib), 4_551);
 * ```
 */
export const DEFAULT_MAX_NOTE_BOARD_BYTES = 10 * 2 ** 20;

/**
 * What a stored note counts for against {@link NoteBoardLimits.maxBytes}:
 * the heap a kept note takes at most, measured (V8, 64-bit). Two bytes per
 * UTF-16 unit of its message, as V8 stores a string with any character
 * above U+00FF (one byte per character otherwise: counting that exactly
 * would mean scanning the message), and 256 for the note and location
 * objects, the string's header and the location's key and map entry
 * (170-240 bytes measured with one note per location, less with more).
 *
 * @example What a short note counts for
 * ```ts
 * import assert from "node:assert/strict";
 * import { noteBytes } from "./notes.ts";
 * assert.equal(noteBytes({ location: { latitude: 1, longitude: 1 }, message: "hi" }), 260);
 * ```
 */
export function noteBytes(note: RouteNote): number {
  return 2 * note.message.length + 256;
}
