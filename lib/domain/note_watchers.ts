/**
 * Live RouteChat: which chats follow which locations, so that a note board
 * can pass each new note on to the chats that wrote there before.
 *
 * @module
 */
import { OldestFirst } from "./oldest_first.ts";
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
 * A note then goes out live at most 100 times, as it goes out at most 100
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

/** A watcher's locations, least recently written first. */
interface Places {
  keys: Set<string>;
  oldest: OldestFirst<string>;
}

/**
 * The chats following each location. A chat follows a location once it has
 * left a note there. A board that hears of its own notes late (Redis, over
 * pub/sub) has it wait, at each of its notes, until that note comes back:
 * what others stored before it is in the answer to it, so a chat never
 * gets live a note that such an answer holds.
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
 * watchers.watch("1,1", annWatcher);
 * watchers.watch("1,1", bobWatcher);
 * watchers.deliver("1,1", { location: null, message: "hi" }, annWatcher);
 * assert.deepEqual([ann.length, bob.length], [0, 1]);
 * watchers.unwatch(bobWatcher);
 * watchers.deliver("1,1", { location: null, message: "again" }, annWatcher);
 * assert.equal(bob.length, 1);
 * ```
 */
export class NoteWatchers {
  // Location -> its watchers: a lone live one as is (most locations; no
  // map to make per note), else each with how many of its own notes there
  // have yet to come back (0: live).
  readonly #watchersAt = new Map<
    string,
    NoteWatcher | Map<NoteWatcher, number>
  >();
  // Watcher -> its locations, least recently written first.
  readonly #placesOf = new Map<NoteWatcher, Places>();
  readonly #ids = new Map<NoteWatcher, number>();
  readonly #byId = new Map<number, NoteWatcher>();
  #nextId = 0;

  /** `watcher` has written at `key`: it hears others' notes there from now. */
  watch(key: string, watcher: NoteWatcher): void {
    this.#follow(key, watcher, 0);
  }

  /**
   * `watcher` is writing a note at `key`: it hears others' notes there
   * from when that note comes back through {@link deliver}.
   */
  watchAfterOwnNote(key: string, watcher: NoteWatcher): void {
    this.#follow(key, watcher, 1);
  }

  /** Stops every call to `watcher`. */
  unwatch(watcher: NoteWatcher): void {
    const places = this.#placesOf.get(watcher);
    if (places === undefined) return;
    for (const key of places.keys) this.#leave(key, watcher);
    this.#placesOf.delete(watcher);
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
    const here = this.#watchersAt.get(key);
    if (here === undefined) return;
    if (typeof here === "function") {
      if (here !== from) here(note);
      return;
    }
    for (const [watcher, awaited] of here) {
      if (watcher === from) {
        if (awaited > 0) here.set(watcher, awaited - 1);
      } else if (awaited === 0) watcher(note);
    }
  }

  /**
   * Past {@link WATCHED_LOCATIONS_PER_CHAT}, the watcher's oldest location
   * is dropped; past {@link WATCHERS_PER_LOCATION}, the location's oldest
   * watcher.
   */
  #follow(key: string, watcher: NoteWatcher, notes: number): void {
    let places = this.#placesOf.get(watcher);
    if (places === undefined) {
      const keys = new Set<string>();
      places = { keys, oldest: new OldestFirst(() => keys.values()) };
      this.#placesOf.set(watcher, places);
      this.#ids.set(watcher, this.#nextId);
      this.#byId.set(this.#nextId++, watcher);
    }
    const { keys } = places;
    const here = this.#watchersAt.get(key);
    if (keys.delete(key)) {
      keys.add(key); // now its newest
      if (notes > 0) {
        const all = this.#all(key, here!);
        all.set(watcher, all.get(watcher)! + notes);
      }
      return;
    }
    if (keys.size >= WATCHED_LOCATIONS_PER_CHAT) {
      // A chat writing at a new place per note evicts one each time.
      const oldest = places.oldest.next();
      keys.delete(oldest);
      this.#leave(oldest, watcher);
    }
    keys.add(key);
    if (here === undefined) {
      this.#watchersAt.set(
        key,
        notes === 0 ? watcher : new Map([[watcher, notes]]),
      );
      return;
    }
    const all = this.#all(key, here);
    if (all.size >= WATCHERS_PER_LOCATION) {
      const oldest = all.keys().next().value!;
      this.#placesOf.get(oldest)!.keys.delete(key);
      all.delete(oldest);
    }
    all.set(watcher, notes);
  }

  /** The watchers at `key` as a map (a lone one becomes one). */
  #all(
    key: string,
    here: NoteWatcher | Map<NoteWatcher, number>,
  ): Map<NoteWatcher, number> {
    if (typeof here !== "function") return here;
    const all = new Map([[here, 0]]);
    this.#watchersAt.set(key, all);
    return all;
  }

  #leave(key: string, watcher: NoteWatcher): void {
    const here = this.#watchersAt.get(key)!;
    if (typeof here === "function" || (here.delete(watcher) && !here.size)) {
      this.#watchersAt.delete(key);
    }
  }
}
