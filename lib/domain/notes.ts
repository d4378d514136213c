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
 * so that concurrent callers never miss or double a note.
 *
 * @example A note board of your own, serving RouteChat
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryNoteBoard, type NoteBoard } from "./notes.ts";
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
 * const chat = guide.routeChat({ signal: new AbortController().signal });
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
  /** Earlier notes at `note.location`, oldest first; then stores `note`. */
  exchange(note: RouteNote): Promise<readonly RouteNote[]>;
  /**
   * Optional: {@link exchange} without a promise, for boards that answer
   * synchronously (in-process ones); RouteChat then costs no promise per
   * note. The board may keep `note` itself rather than a copy: pass a note
   * that nobody changes afterwards (RouteChat passes each decoded note).
   */
  exchangeSync?(note: RouteNote): readonly RouteNote[];
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
 * import { MemoryNoteBoard, type NoteBoardLimits } from "./notes.ts";
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

/** No earlier notes (shared: the answer is read-only). */
const NONE: readonly RouteNote[] = Object.freeze([]);

/**
 * Default newest notes kept per location.
 *
 * @example A default board keeps the newest 100 notes at a location
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_NOTES_PER_LOCATION, MemoryNoteBoard } from "./notes.ts";
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

/**
 * An in-process note board. Memory is bounded: at most `notesPerLocation`
 * newest notes per location, `maxLocations` locations and `maxBytes` of
 * notes, the least recently used location evicted first.
 *
 * @example Sharing notes between two chats on one board
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryNoteBoard } from "./notes.ts";
 * const board = new MemoryNoteBoard();
 * const here = { latitude: 1, longitude: 1 };
 * assert.deepEqual(await board.exchange({ location: here, message: "from Ann" }), []);
 * const earlier = await board.exchange({ location: here, message: "from Bob" });
 * assert.deepEqual(earlier, [{ location: here, message: "from Ann" }]);
 * assert.equal(board.locations, 1);
 * assert.equal(board.bytes, 2 * 272); // two notes of 8 characters
 * await board.close();
 * ```
 *
 * @example Bad limits are refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryNoteBoard } from "./notes.ts";
 * assert.throws(() => new MemoryNoteBoard({ notesPerLocation: 0 }), RangeError);
 * ```
 */
export class MemoryNoteBoard implements NoteBoard {
  readonly #notesPerLocation: number;
  readonly #maxLocations: number;
  readonly #maxBytes: number;
  // Sum of noteBytes() over the notes kept.
  #bytes = 0;
  // Map iteration order is insertion order: re-inserting on use keeps the
  // least recently used location first.
  readonly #locations = new Map<string, RouteNote | RouteNote[]>();
  // The key inserted last: using it again needs no re-insertion.
  #newest: string | undefined;
  // Walks the map in insertion order, from one eviction to the next. A
  // fresh `keys().next()` per eviction would skip every entry deleted since
  // the map's last rehash (V8 leaves holes at the front): tens of
  // microseconds per note once the board is full. Per the iteration
  // protocol this iterator still sees entries re-inserted after it, and
  // everything before it has been evicted, so it always yields the least
  // recently used location.
  #evictor: Iterator<string> | undefined;

  /** Creates an empty board with the given bounds. */
  constructor(limits: NoteBoardLimits = {}) {
    this.#notesPerLocation = limits.notesPerLocation ??
      DEFAULT_NOTES_PER_LOCATION;
    this.#maxLocations = limits.maxLocations ?? DEFAULT_MAX_LOCATIONS;
    this.#maxBytes = limits.maxBytes ?? DEFAULT_MAX_NOTE_BOARD_BYTES;
    if (
      this.#notesPerLocation < 1 || this.#maxLocations < 1 ||
      this.#maxBytes < 1
    ) {
      throw new RangeError("note board limits must be at least 1");
    }
  }

  /** Number of locations currently holding notes. */
  get locations(): number {
    return this.#locations.size;
  }

  /** The notes kept, counted as {@link noteBytes}; at most `maxBytes`. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Earlier notes at the location, oldest first; then stores a copy of the note. */
  exchange(note: RouteNote): Promise<readonly RouteNote[]> {
    const { latitude, longitude } = note.location!;
    return Promise.resolve(
      this.exchangeSync({
        location: { latitude, longitude },
        message: note.message,
      }),
    );
  }

  /**
   * The synchronous form of {@link exchange}; keeps `note` itself, not a
   * copy (see {@link NoteBoard.exchangeSync}).
   *
   * @example Exchanging a note without a promise
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNoteBoard } from "./notes.ts";
   * const board = new MemoryNoteBoard();
   * const first = { location: { latitude: 1, longitude: 1 }, message: "first" };
   * assert.deepEqual(board.exchangeSync(first), []);
   * const [earlier] = board.exchangeSync({ location: { latitude: 1, longitude: 1 }, message: "second" });
   * assert.equal(earlier, first); // the very object, not a copy
   * ```
   */
  exchangeSync(note: RouteNote): readonly RouteNote[] {
    const { latitude, longitude } = note.location!;
    const key = `${latitude},${longitude}`;
    const earlier = this.#locations.get(key);
    this.#bytes += noteBytes(note);
    if (earlier === undefined) {
      if (this.#locations.size >= this.#maxLocations) this.#evict();
      // A location's first note is kept alone, not in an array, and notes
      // are kept as passed, not copied: most locations hold one or two
      // notes, and each object kept costs the garbage collector a copy or
      // two before it settles (RouteChat 5.5 -> 4.9 us of CPU per note).
      this.#locations.set(key, note);
      this.#newest = key;
      if (this.#bytes > this.#maxBytes) this.#shed();
      return NONE;
    }
    let previous: readonly RouteNote[];
    let kept: RouteNote | RouteNote[];
    if (Array.isArray(earlier)) {
      previous = earlier.slice();
      earlier.push(note);
      if (earlier.length > this.#notesPerLocation) {
        this.#bytes -= noteBytes(earlier.shift()!);
      }
      kept = earlier;
    } else {
      previous = [earlier];
      if (this.#notesPerLocation === 1) {
        this.#bytes -= noteBytes(earlier);
        kept = note;
      } else kept = [earlier, note];
    }
    // Moving the location to the most recently used end is a delete and a
    // set; the newest location needs neither.
    const moved = key !== this.#newest;
    if (moved) {
      this.#locations.delete(key);
      this.#newest = key;
    }
    if (moved || kept !== earlier) this.#locations.set(key, kept);
    if (this.#bytes > this.#maxBytes) this.#shed();
    return previous;
  }

  /** Drops the least recently used location. */
  #evict(): void {
    let next = this.#evictor?.next();
    if (next === undefined || next.done) {
      this.#evictor = this.#locations.keys();
      next = this.#evictor.next();
    }
    const kept = this.#locations.get(next.value!)!;
    if (Array.isArray(kept)) {
      for (const note of kept) this.#bytes -= noteBytes(note);
    } else this.#bytes -= noteBytes(kept);
    this.#locations.delete(next.value!);
  }

  /**
   * Evicts locations until the notes fit in `maxBytes`. The location just
   * written is the most recently used: when it is all that is left, its
   * oldest notes go instead, down to the newest one, which is always kept.
   */
  #shed(): void {
    while (this.#bytes > this.#maxBytes && this.#locations.size > 1) {
      this.#evict();
    }
    const kept = this.#locations.get(this.#newest!)!;
    if (!Array.isArray(kept)) return;
    while (this.#bytes > this.#maxBytes && kept.length > 1) {
      this.#bytes -= noteBytes(kept.shift()!);
    }
  }

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
