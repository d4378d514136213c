/**
 * Least recently used first, for the bounded maps and sets kept in use
 * order (re-inserted on use) that the note boards evict from.
 *
 * @module
 */

/**
 * Yields the least recently used key of a map or set kept in use order,
 * eviction after eviction, from one iterator. A fresh `keys().next()` per
 * eviction would skip every entry deleted since the collection's last
 * rehash (V8 leaves holes at the front): tens of microseconds per eviction
 * once entries churn. Per the iteration protocol the iterator still sees
 * entries re-inserted after it, and everything before it has been evicted,
 * so it always yields the least recently used.
 *
 * @example Evicting from a set kept in use order
 * ```ts
 * import assert from "node:assert/strict";
 * import { OldestFirst } from "./oldest_first.ts";
 * const used = new Set(["a", "b", "c"]);
 * const oldest = new OldestFirst(() => used.values());
 * used.delete("a");
 * used.add("a"); // "a" used again: now the newest
 * const first = oldest.next();
 * used.delete(first);
 * assert.equal(first, "b");
 * used.add("d");
 * assert.equal(oldest.next(), "c");
 * ```
 */
export class OldestFirst<K> {
  readonly #keys: () => Iterator<K>;
  #iterator: Iterator<K> | undefined;

  /** Walks the keys that `keys()` iterates, in their order. */
  constructor(keys: () => Iterator<K>) {
    this.#keys = keys;
  }

  /** The least recently used key; the caller evicts it before the next call. */
  next(): K {
    let next = this.#iterator?.next();
    if (next === undefined || next.done) {
      this.#iterator = this.#keys();
      next = this.#iterator.next();
    }
    return next.value!;
  }
}
