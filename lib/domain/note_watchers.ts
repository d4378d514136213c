/**
 * Live RouteChat: which chats follow which locations, so that a note board
 * can pass each new note on to the chats that wrote there before.
 *
 * @module
 */
import type { RouteNote } from "./types.ts";

/** Receives, live, the notes other clients leave where a chat has written. */
export type NoteWatcher = (note: RouteNote) => void;

/**
 * Locations one chat follows: the ones it wrote to most recently. Bounds
 * what 1,000 chats of 10,000 notes each make a board keep (100,000 entries,
 * not 10 million).
 */
export const WATCHED_LOCATIONS_PER_CHAT = 100;

/**
 * Chats that follow one location: the ones that wrote there most recently.
 * A note then goes out live at most 99 times, as it goes out at most 100
 * times as an earlier note: 1,000 chats at one place cannot make each note
 * cost 999 writes.
 */
export const WATCHERS_PER_LOCATION = 100;

/**
 * Bytes of live notes (each counted as `noteBytes`) that a transport lets
 * wait for a chat's client beyond what the connection already holds; past
 * it the chat ends with RESOURCE_EXHAUSTED (`NOT_READING`). With 1,000
 * chats, at most 64 MiB waits.
 */
export const UNREAD_LIVE_NOTE_BYTES = 64 << 10;

/**
 * The chats following each location. A chat follows a location once it has
 * left a note there; a board that learns of its own notes late (Redis, over
 * pub/sub) registers it as waiting until that note comes back, so that the
 * chat never hears of a note twice: those before its own are in the
 * earlier notes it was answered with.
 *
 * @example A note passes to everyone at its location but its writer
 * ```ts
 * import assert from "node:assert/strict";
 * import { NoteWatchers } from "./note_watchers.ts";
 * import type { RouteNote } from "./types.ts";
 * const watchers = new NoteWatchers();
 * const [ann, bob]: RouteNote[][] = [[], []];
 * const annWatcher = (note: RouteNote) => ann.push(note);
 * const bobWatcher = (note: RouteNote) => bob.push(note);
 * watchers.watch("1,1", annWatcher, true);
 * watchers.watch("1,1", bobWatcher, true);
 * watchers.deliver("1,1", { location: null, message: "hi" }, annWatcher);
 * assert.deepEqual([ann.length, bob.length], [0, 1]);
 * watchers.unwatch(bobWatcher);
 * watchers.deliver("1,1", { location: null, message: "again" }, annWatcher);
 * assert.equal(bob.length, 1);
 * ```
 */
export class NoteWatchers {
  // Location -> its watchers, each live or waiting for its own note.
  readonly #at = new Map<string, Map<NoteWatcher, boolean>>();
  // Watcher -> its locations, least recently written first.
  readonly #of = new Map<NoteWatcher, Set<string>>();
  readonly #ids = new Map<NoteWatcher, number>();
  readonly #byId = new Map<number, NoteWatcher>();
  #nextId = 0;

  /**
   * `watcher` follows `key` from now on (`live`), or from when its own
   * note there comes back through {@link deliver} (not `live`). Past
   * {@link WATCHED_LOCATIONS_PER_CHAT}, its oldest location is dropped;
   * past {@link WATCHERS_PER_LOCATION}, the location's oldest watcher.
   */
  watch(key: string, watcher: NoteWatcher, live: boolean): void {
    let keys = this.#of.get(watcher);
    if (keys === undefined) {
      this.#of.set(watcher, keys = new Set());
      this.#ids.set(watcher, this.#nextId);
      this.#byId.set(this.#nextId++, watcher);
    }
    let here = this.#at.get(key);
    if (keys.delete(key)) {
      // Both now the newest, the state kept.
      keys.add(key);
      const state = here!.get(watcher)!;
      here!.delete(watcher);
      return void here!.set(watcher, state);
    }
    if (keys.size >= WATCHED_LOCATIONS_PER_CHAT) {
      const oldest = keys.values().next().value!;
      keys.delete(oldest);
      this.#leave(oldest, watcher);
    }
    keys.add(key);
    if (here === undefined) this.#at.set(key, here = new Map());
    else if (here.size >= WATCHERS_PER_LOCATION) {
      const oldest = here.keys().next().value!;
      this.#of.get(oldest)!.delete(key);
      here.delete(oldest);
    }
    here.set(watcher, live);
  }

  /** Stops every call to `watcher`. */
  unwatch(watcher: NoteWatcher): void {
    const keys = this.#of.get(watcher);
    if (keys === undefined) return;
    for (const key of keys) this.#leave(key, watcher);
    this.#of.delete(watcher);
    this.#byId.delete(this.#ids.get(watcher)!);
    this.#ids.delete(watcher);
  }

  /** A number naming `watcher` while it watches (for a board's messages). */
  idOf(watcher: NoteWatcher): number | undefined {
    return this.#ids.get(watcher);
  }

  /** The watcher {@link idOf} named `id`, if it still watches. */
  byId(id: number): NoteWatcher | undefined {
    return this.#byId.get(id);
  }

  /** Passes `note`, left at `key` by `from`, to every other live watcher there. */
  deliver(key: string, note: RouteNote, from?: NoteWatcher): void {
    const here = this.#at.get(key);
    if (here === undefined) return;
    for (const [watcher, live] of here) {
      if (watcher === from) here.set(watcher, true);
      else if (live) watcher(note);
    }
  }

  #leave(key: string, watcher: NoteWatcher): void {
    const here = this.#at.get(key)!;
    here.delete(watcher);
    if (here.size === 0) this.#at.delete(key);
  }
}
