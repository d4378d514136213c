/**
 * Redis going silent (SIGSTOP) or away (SIGKILL) under a running server:
 * RouteChat fails with UNAVAILABLE within the board's command timeout,
 * health turns `routeguide.RouteGuide` NOT_SERVING, failed chats give back
 * their `maxConcurrentChats` slots, and all of it recovers once Redis is back.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  RedisNoteBoard,
  RouteGuideClient,
  startServer,
  Status,
} from "../mod.ts";
import { SERVICE_NAME } from "../lib/grpc/proto.ts";
import { checkHealth, healthClient } from "./_prod_helpers.ts";
import { collect } from "./helpers.ts";
import {
  chat,
  failure,
  hasRedis,
  note,
  RedisProcess,
  skipped,
  untilRouteGuideIs,
} from "./scale_helpers.ts";

/** The command timeout docs/scaling.md states: the board's default. */
const TIMEOUT_MS = 2_000;
const MAX_CHATS = 2;

/** How a test takes Redis away and brings it back. */
interface Outage {
  stop(redis: RedisProcess): unknown;
  /** Redis answering again (the same process, or a new one). */
  resume(
    redis: RedisProcess,
    dir: string,
  ): RedisProcess | Promise<RedisProcess>;
  /** How soon the first chats must fail, in milliseconds. */
  failsWithinMs: number;
  /** Whether notes sent just before the outage get stored once it ends. */
  keepsNotesInFlight: boolean;
}

/**
 * One RouteChat call of one note that must fail; with how long it took.
 * Its deadline lies past every bound asserted, so that a hung chat fails
 * the test instead of hanging it.
 */
async function failedChat(guide: RouteGuideClient, message: string) {
  const start = performance.now();
  const error = await failure(collect(
    guide.routeChat([note(1, 1, message)], { timeoutMs: TIMEOUT_MS + 3_000 }),
  ));
  return { error, ms: performance.now() - start };
}

/** A redis-server of a test's own; a restart replaces `redis`. */
interface HeldRedis {
  redis: RedisProcess;
  dir: string;
}

/**
 * Runs `test` with a fresh redis-server in a temporary directory; then,
 * whatever happened, lets it run (a stopped process handles no SIGTERM),
 * stops it and removes the directory.
 */
async function withRedis(test: (held: HeldRedis) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "routeguide-outage-" });
  const held = { redis: await RedisProcess.start(dir), dir };
  try {
    await test(held);
  } finally {
    if (!held.redis.exited) Deno.kill(held.redis.process.pid, "SIGCONT");
    await held.redis.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

function outage(
  { stop, resume, failsWithinMs, keepsNotesInFlight }: Outage,
) {
  return withRedis(async (held) => {
    const board = await RedisNoteBoard.connect({ url: held.redis.url() });
    const server = await startServer({
      host: "127.0.0.1",
      port: 0,
      notes: board,
      chat: { maxConcurrentChats: MAX_CHATS },
    });
    const guide = new RouteGuideClient(server.address);
    const other = new RouteGuideClient(server.address, {
      channelOptions: { "grpc.use_local_subchannel_pool": 1 },
    });
    const health = healthClient(server.address);
    try {
      assert.deepEqual(await chat(guide, [note(1, 1, "before")]), []);
      assert.equal(await checkHealth(health, SERVICE_NAME), "SERVING");

      await stop(held.redis);
      // As many chats as the limit allows, at once, each waiting on Redis.
      const lost = Array.from({ length: MAX_CHATS }, (_, i) => `lost ${i}`);
      for (
        const { error, ms } of await Promise.all(
          lost.map((message) => failedChat(guide, message)),
        )
      ) {
        assert.equal(error.code, Status.UNAVAILABLE, error.message);
        assert.match(
          error.message,
          /^RouteChat notes are unavailable: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/0 \(.+\)$/,
        );
        assert.ok(ms < failsWithinMs, `failed after ${ms} ms`);
      }
      await untilRouteGuideIs(health, "NOT_SERVING");
      // Every slot came back, and the board no longer waits on Redis.
      for (let i = 0; i <= MAX_CHATS; i++) {
        const { error, ms } = await failedChat(guide, `refused ${i}`);
        assert.equal(error.code, Status.UNAVAILABLE, error.message);
        assert.ok(ms < 1_000, `failed after ${ms} ms`);
      }

      held.redis = await resume(held.redis, held.dir);
      await untilRouteGuideIs(health, "SERVING");
      const earlier = await chat(guide, [note(1, 1, "after")]);
      // A note refused at once was never sent; one whose answer never came
      // was, and a Redis that was only stopped stores it when it runs again.
      assert.deepEqual(
        earlier.sort(),
        keepsNotesInFlight ? ["before", ...lost] : ["before"],
      );
      assert.deepEqual(
        (await chat(other, [note(1, 1, "later")])).sort(),
        [...earlier, "after"].sort(),
        "notes are shared",
      );
    } finally {
      guide.close();
      other.close();
      health.close();
      await server.close(1_000);
      await board.close();
    }
  });
}

Deno.test({
  name:
    "Redis stopped (SIGSTOP): RouteChat fails UNAVAILABLE within the 2 s command timeout, routeguide.RouteGuide turns NOT_SERVING, chats free their slots, and all recovers on SIGCONT" +
    skipped("redis-server"),
  ignore: !hasRedis,
  fn: () =>
    outage({
      stop: (redis) => Deno.kill(redis.process.pid, "SIGSTOP"),
      resume: (redis) => {
        Deno.kill(redis.process.pid, "SIGCONT");
        return redis;
      },
      // The command timeout, and some leeway for a busy machine.
      failsWithinMs: TIMEOUT_MS + 1_000,
      keepsNotesInFlight: true,
    }),
});

Deno.test({
  name:
    "Redis killed (SIGKILL): RouteChat fails UNAVAILABLE at once, routeguide.RouteGuide turns NOT_SERVING, chats free their slots, and all recovers once Redis restarts" +
    skipped("redis-server"),
  ignore: !hasRedis,
  fn: () =>
    outage({
      stop: (redis) => redis.stop("SIGKILL"),
      resume: (redis, dir) => RedisProcess.start(dir, redis.port),
      failsWithinMs: 1_000,
      keepsNotesInFlight: false,
    }),
});

Deno.test({
  name:
    "Redis stopped with no chat under way: routeguide.RouteGuide turns NOT_SERVING by itself, and SERVING again on SIGCONT" +
    skipped("redis-server"),
  ignore: !hasRedis,
  fn: () =>
    withRedis(async ({ redis }) => {
      const board = await RedisNoteBoard.connect({ url: redis.url() });
      const server = await startServer({
        host: "127.0.0.1",
        port: 0,
        notes: board,
      });
      const health = healthClient(server.address);
      try {
        assert.equal(await checkHealth(health, SERVICE_NAME), "SERVING");
        Deno.kill(redis.process.pid, "SIGSTOP");
        const start = performance.now();
        await untilRouteGuideIs(health, "NOT_SERVING");
        // A heartbeat every 2 s, answered within 2 s.
        const ms = performance.now() - start;
        assert.ok(ms < 2 * TIMEOUT_MS + 1_000, `NOT_SERVING after ${ms} ms`);
        Deno.kill(redis.process.pid, "SIGCONT");
        await untilRouteGuideIs(health, "SERVING");
      } finally {
        health.close();
        await server.close(1_000);
        await board.close();
      }
    }),
});

Deno.test({
  name:
    "a Redis that is stopped at start fails RedisNoteBoard.connect with UNAVAILABLE within the command timeout" +
    skipped("redis-server"),
  ignore: !hasRedis,
  fn: () =>
    withRedis(async ({ redis }) => {
      Deno.kill(redis.process.pid, "SIGSTOP");
      const start = performance.now();
      const error = await failure(RedisNoteBoard.connect({ url: redis.url() }));
      const ms = performance.now() - start;
      assert.equal(error.code, Status.UNAVAILABLE, error.message);
      assert.ok(ms < TIMEOUT_MS + 1_000, `failed after ${ms} ms`);
    }),
});
