/**
 * The in-process note board, the default: notes kept in the server's own
 * memory, bounded in count and bytes.
 *
 * @module
 */
import { NoteWatchers } from "./note_watchers.ts";
import type { NoteBoard, NoteBoardLimits } from "./notes.ts";
import {
  DEFAULT_MAX_LOCATIONS,
  DEFAULT_MAX_NOTE_BOARD_BYTES,
  DEFAULT_NOTES_PER_LOCATION,
  noteBytes,
} from "./notes.ts";
import { OldestFirst } from "./oldest_first.ts";
import type { RouteNote } from "./types.ts";

/** No earlier notes (shared: the answer is read-only). */
const NONE: readonly RouteNote[] = Object.freeze([]);

/**
 * An in-process note board. Memory is bounded: at most `notesPerLocation`
 * newest notes per location, `maxLocations` locations and `maxBytes` of
 * notes, the least recently used location evicted first.
 *
 * @example Sharing notes between two chats on one board
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
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
 * import { MemoryNoteBoard } from "./memory_notes.ts";
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
  // Once the board is full, every new location evicts one.
  readonly #oldest = new OldestFirst(() => this.#locations.keys());
  readonly #watchers = new NoteWatchers();

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
  exchange(
    note: RouteNote,
    watcher?: (note: RouteNote) => void,
  ): Promise<readonly RouteNote[]> {
    const { latitude, longitude } = note.location!;
    return Promise.resolve(
      this.exchangeSync({
        location: { latitude, longitude },
        message: note.message,
      }, watcher),
    );
  }

  /**
   * The synchronous form of {@link exchange}; keeps `note` itself, not a
   * copy (see {@link NoteBoard.exchangeSync}).
   *
   * @example Exchanging a note without a promise
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNoteBoard } from "./memory_notes.ts";
   * const board = new MemoryNoteBoard();
   * const first = { location: { latitude: 1, longitude: 1 }, message: "first" };
   * assert.deepEqual(board.exchangeSync(first), []);
   * const [earlier] = board.exchangeSync({ location: { latitude: 1, longitude: 1 }, message: "second" });
   * assert.equal(earlier, first); // the very object, not a copy
   * ```
   */
  exchangeSync(
    note: RouteNote,
    watcher?: (note: RouteNote) => void,
  ): readonly RouteNote[] {
    const { latitude, longitude } = note.location!;
    const key = `${latitude},${longitude}`;
    // In the same step as the exchange: no note is both earlier and live.
    this.#watchers.deliver(key, note, watcher);
    if (watcher) this.#watchers.watch(key, watcher);
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
    const oldest = this.#oldest.next();
    const kept = this.#locations.get(oldest)!;
    if (Array.isArray(kept)) {
      for (const note of kept) this.#bytes -= noteBytes(note);
    } else this.#bytes -= noteBytes(kept);
    this.#locations.delete(oldest);
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

  /** Stops passing notes to `watcher`. */
  unwatch(watcher: (note: RouteNote) => void): void {
    this.#watchers.unwatch(watcher);
  }

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
