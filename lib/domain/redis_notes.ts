/**
 * A RouteChat note board in Redis, shared by every replica of a server and
 * kept across restarts when Redis keeps its data.
 *
 * @module
 */
import { RouteGuideError, Status } from "./errors.ts";
import {
  DEFAULT_MAX_LOCATIONS,
  DEFAULT_NOTES_PER_LOCATION,
  type NoteBoard,
  type NoteBoardLimits,
} from "./notes.ts";
import { NoteWatchers } from "./note_watchers.ts";
import { exchangeScript, redactedUrl, type Redis } from "./redis_client.ts";
import type { RouteNote } from "./types.ts";

/** Default prefix of every key the board writes (`routeguide:notes:1,1`). */
export const DEFAULT_REDIS_KEY_PREFIX = "routeguide:";

/**
 * How to reach Redis and what to keep there.
 *
 * @example The same limits bound an in-process board when Redis is not there
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RedisNoteBoardOptions } from "./redis_notes.ts";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
 * const options: RedisNoteBoardOptions = { url: "redis://:s3cret@redis.internal:6379/0", notesPerLocation: 2 };
 * const board = new MemoryNoteBoard(options);
 * const location = { latitude: 1, longitude: 1 };
 * for (const message of ["a", "b", "c"]) board.exchangeSync({ location, message });
 * assert.equal(board.exchangeSync({ location, message: "d" }).length, 2);
 * ```
 */
export interface RedisNoteBoardOptions extends NoteBoardLimits {
  /** `redis://[user:password@]host:port/db` (or `rediss://` for TLS). */
  url: string;
  /** Prefix of every key written (default `routeguide:`). */
  keyPrefix?: string;
  /**
   * How long one Redis command or connection attempt may take before the
   * note exchange fails with UNAVAILABLE, in milliseconds (default 2,000).
   */
  timeoutMs?: number;
  /** Longest wait between reconnection attempts, in milliseconds (default 1,000). */
  maxReconnectDelayMs?: number;
}

/**
 * RouteChat notes in Redis. Each location is a capped list; a sorted set
 * ranks locations by last use so the least recently used is dropped first.
 * When Redis is unreachable, or leaves a command unanswered for `timeoutMs`,
 * `exchange` fails with UNAVAILABLE and `healthy` turns false; from then on
 * `exchange` fails at once (nothing is queued) until Redis answers a PING
 * again. The client keeps reconnecting in the background, so notes flow
 * again without a restart.
 *
 * Live notes go through pub/sub: the script publishes each note and its
 * writer on one channel; each board passes it to its own watchers. A
 * watcher goes live at a location when its own note comes back: earlier
 * ones were in its answer. While the subscription is down, chats miss live
 * notes (still stored: they come back as earlier notes).
 *
 * @example Two boards sharing notes through Redis (needs a server: not run)
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { RedisNoteBoard } from "./redis_notes.ts";
 * const options = { url: "redis://127.0.0.1:6379/0", keyPrefix: `example:${crypto.randomUUID()}:` };
 * const [first, second] = await Promise.all([RedisNoteBoard.connect(options), RedisNoteBoard.connect(options)]);
 * const here = { latitude: 1, longitude: 1 };
 * assert.deepEqual(await first.exchange({ location: here, message: "hi" }), []);
 * assert.deepEqual(await second.exchange({ location: here, message: "hello" }), [{ location: here, message: "hi" }]);
 * await Promise.all([first.close(), second.close()]);
 * ```
 *
 * @example Connecting where nothing listens fails at once with UNAVAILABLE
 * ```ts
 * import assert from "node:assert/strict";
 * import { RedisNoteBoard } from "./redis_notes.ts";
 * import { RouteGuideError, Status } from "./errors.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const where = `127.0.0.1:${listener.addr.port}/0`;
 * listener.close(); // now nothing listens there
 * await assert.rejects(RedisNoteBoard.connect({ url: `redis://user:s3cret@${where}` }), (error) =>
 *   error instanceof RouteGuideError && error.code === Status.UNAVAILABLE &&
 *   error.message.startsWith(`cannot reach Redis at redis://${where}: `)); // no password
 * ```
 */
export class RedisNoteBoard implements NoteBoard {
  readonly #client;
  readonly #where: string;
  readonly #prefix: string;
  readonly #limits: [string, string];
  readonly #timeoutMs: number;
  readonly #retryMs: number;
  readonly #listeners = new Set<(healthy: boolean) => void>();
  readonly #subscriber;
  readonly #channel: string;
  readonly #id = crypto.randomUUID();
  readonly #watchers = new NoteWatchers();
  #healthy = false;
  #closed = false;
  /** Why Redis was last out of reach, for messages. */
  #problem = "not connected";
  /** Whether {@link #probe} is running. */
  #probing = false;
  /** Ends the probe's pause before its next PING. */
  #wake = () => {};
  /** PINGs Redis while healthy, so that health sees a silent Redis. */
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  private constructor(options: RedisNoteBoardOptions, redis: Redis) {
    const notesPerLocation = options.notesPerLocation ??
      DEFAULT_NOTES_PER_LOCATION;
    const maxLocations = options.maxLocations ?? DEFAULT_MAX_LOCATIONS;
    if (notesPerLocation < 1 || maxLocations < 1) {
      throw new RangeError("note board limits must be at least 1");
    }
    this.#limits = [String(notesPerLocation), String(maxLocations)];
    this.#prefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
    this.#where = `Redis at ${redactedUrl(options.url)}`;
    const timeout = this.#timeoutMs = options.timeoutMs ?? 2_000;
    const maxDelay = this.#retryMs = options.maxReconnectDelayMs ?? 1_000;
    let connectedOnce = false;
    this.#client = redis.createClient({
      url: options.url,
      scripts: { exchange: exchangeScript(redis) },
      // Fail calls at once while Redis is away instead of queueing them.
      disableOfflineQueue: true,
      // node-redis's command timeout stops counting once a command is
      // written, so it never fires for a Redis that is stopped but still
      // connected; #deadline bounds the whole wait instead.
      commandOptions: { timeout: 0 },
      socket: {
        connectTimeout: timeout,
        // The first connection must work (the server refuses to start
        // without its board); after that, retry forever with backoff.
        reconnectStrategy: (retries, cause) =>
          connectedOnce ? Math.min(50 * 2 ** retries, maxDelay) : cause,
      },
    });
    this.#channel = `${this.#prefix}notes`;
    // Missed live notes are all a lost subscription costs: errors are
    // the main client's to report.
    this.#subscriber = this.#client.duplicate().on("error", () => {});
    // node-redis reports every failed attempt here.
    this.#client.on("error", (error: Error) => this.#lost(error.message));
    this.#client.on("end", () => this.#lost("connection closed"));
    this.#client.on("reconnecting", () => this.#lost());
    // Connected is not answering (a stopped Redis still accepts
    // connections): health waits for the probe's PING.
    this.#client.on("ready", () => {
      connectedOnce = true;
      this.#wake();
      void this.#probe();
    });
  }

  /**
   * Connects to Redis; rejects with a RouteGuideError (UNAVAILABLE) naming
   * the URL when it cannot be reached or does not answer within `timeoutMs`.
   */
  static async connect(
    options: RedisNoteBoardOptions,
  ): Promise<RedisNoteBoard> {
    const board = new RedisNoteBoard(options, await import("redis"));
    try {
      await board.#deadline(
        board.#client.connect().then(() => board.#client.ping()),
      );
      await board.#deadline(
        board.#subscriber.connect().then(() =>
          board.#subscriber.subscribe(board.#channel, board.#heard)
        ),
      );
      board.#setHealthy(true);
      // Without calls, a Redis that stops answering would go unnoticed
      // (health SERVING) until the next RouteChat waited for it.
      board.#heartbeat = setInterval(() => {
        if (board.#healthy) {
          board.#deadline(board.#client.ping()).catch(() => {});
        }
      }, board.#timeoutMs);
    } catch (error) {
      await board.close();
      throw new RouteGuideError(
        Status.UNAVAILABLE,
        `cannot reach ${board.#where}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return board;
  }

  /** Whether Redis answers commands now. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /**
   * Calls `listener` with the new state each time the board's health
   * changes; returns a function that stops the calls.
   */
  onHealthChange(listener: (healthy: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #setHealthy(healthy: boolean): void {
    if (healthy === this.#healthy) return;
    this.#healthy = healthy;
    for (const listener of this.#listeners) listener(healthy);
  }

  /** Redis is out of reach: unhealthy until the probe gets an answer. */
  #lost(problem?: string): void {
    if (problem) this.#problem = problem;
    this.#setHealthy(false);
    void this.#probe();
  }

  /**
   * PINGs until Redis answers, one PING at a time: a stopped Redis holds
   * one PING, not one per attempt. A PING refused (offline, or an error
   * such as LOADING) is retried on the next "ready" or after a pause.
   */
  async #probe(): Promise<void> {
    if (this.#probing) return;
    this.#probing = true;
    try {
      while (!this.#healthy && !this.#closed) {
        try {
          await this.#client.ping();
          // Answered, unless the connection dropped meanwhile.
          if (this.#client.isReady) this.#setHealthy(true);
        } catch {
          if (this.#closed) break;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, this.#retryMs);
            this.#wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      }
    } finally {
      this.#probing = false;
    }
  }

  /** `promise`, or a rejection once Redis has been silent for `timeoutMs`. */
  #deadline<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const problem = `no answer within ${this.#timeoutMs} ms`;
        this.#lost(problem);
        reject(new Error(problem));
      }, this.#timeoutMs);
      promise.then((value) => {
        clearTimeout(timer);
        resolve(value);
      }, (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** A note as published by the exchange script: `writer key\nmessage`. */
  readonly #heard = (published: string): void => {
    const space = published.indexOf(" ");
    const newline = published.indexOf("\n", space);
    const writer = published.slice(0, space);
    const key = published.slice(space + 1, newline);
    const [latitude, longitude] = key.slice(this.#channel.length + 1)
      .split(",").map(Number);
    const from = writer.startsWith(this.#id)
      ? this.#watchers.byId(Number(writer.slice(this.#id.length + 1)))
      : undefined;
    this.#watchers.deliver(key, {
      location: { latitude, longitude },
      message: published.slice(newline + 1),
    }, from);
  };

  /**
   * Earlier notes at the location, oldest first; then stores the note.
   * With `watcher`, notes others leave there later go to it live.
   */
  async exchange(
    note: RouteNote,
    watcher?: (note: RouteNote) => void,
  ): Promise<readonly RouteNote[]> {
    const { latitude, longitude } = note.location!;
    const key = `${this.#channel}:${latitude},${longitude}`;
    let writer = "-";
    let earlier: string[];
    try {
      // Known to be out of reach: sending would only add to what a
      // stopped Redis holds, and make the caller wait for the deadline.
      if (!this.#healthy) throw new Error(this.#problem);
      if (watcher) {
        this.#watchers.watchAfterOwnNote(key, watcher);
        writer = `${this.#id}:${this.#watchers.idOf(watcher)}`;
      }
      earlier = await this.#deadline(this.#client.exchange(
        [key, `${this.#prefix}locations`, `${this.#prefix}clock`],
        [note.message, ...this.#limits, writer, this.#channel],
      ));
    } catch (error) {
      const reason = (error as Error).message;
      throw new RouteGuideError(
        Status.UNAVAILABLE,
        `RouteChat notes are unavailable: ${
          this.#healthy
            ? `${this.#where} failed: ${reason}`
            : `cannot reach ${this.#where} (${reason})`
        }`,
        { cause: error },
      );
    }
    return earlier.map((message) => ({
      location: { latitude, longitude },
      message,
    }));
  }

  /** Stops passing notes to `watcher`. */
  unwatch(watcher: (note: RouteNote) => void): void {
    this.#watchers.unwatch(watcher);
  }

  /** Closes the connections; the board is unusable afterwards. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      clearInterval(this.#heartbeat);
      this.#listeners.clear();
      this.#wake();
      // destroy(), not close(): it also stops a reconnection in progress.
      this.#client.destroy();
      if (this.#subscriber.isOpen) this.#subscriber.destroy();
    }
    return Promise.resolve();
  }
}
