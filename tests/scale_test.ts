import assert from "node:assert/strict";
import {
  MemoryNoteBoard,
  type NoteBoard,
  RedisNoteBoard,
  RouteGuideClient,
  RouteGuideError,
  Status,
} from "../mod.ts";
import { SERVICE_NAME } from "../lib/grpc/proto.ts";
import { checkHealth, healthClient } from "./_prod_helpers.ts";
import { freePort } from "./helpers.ts";
import {
  chat,
  failure,
  hasNginx,
  hasRedis,
  NginxProcess,
  note,
  RedisProcess,
  replicaDb,
  ServerProcess,
  skipped,
  until,
  untilRouteGuideIs,
} from "./scale_helpers.ts";

/** Anything a test starts and must stop at its end. */
type Stoppable = { stop(): unknown };

/** A running Redis in a temp dir, and what a test starts on top of it. */
interface RedisEnv {
  dir: string;
  /** The Redis running now (a new one after {@link RedisEnv.restartRedis}). */
  readonly redis: RedisProcess;
  /** Starts Redis again on the same port and data dir, after a test stopped it. */
  restartRedis(): Promise<void>;
  /** Starts server.ts with `args`; stopped at the end. */
  server(args: string[]): Promise<ServerProcess>;
  /** A RouteGuide client of its own connection to `address`; closed at the end. */
  client(address: string): RouteGuideClient;
  /** Stops `item` at the end. */
  defer(item: Stoppable): void;
}

/**
 * Runs `fn` with Redis started in a fresh temp dir; then stops everything
 * started (newest first, Redis last) and removes the dir.
 */
async function withRedis(fn: (env: RedisEnv) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "routeguide-scale-" });
  try {
    let redis = await RedisProcess.start(dir);
    const port = redis.port;
    const stack: Stoppable[] = [{ stop: () => redis.stop() }];
    try {
      await fn({
        dir,
        get redis() {
          return redis;
        },
        async restartRedis() {
          redis = await RedisProcess.start(dir, port);
        },
        async server(args) {
          const server = await ServerProcess.start(args);
          stack.push(server);
          return server;
        },
        client(address) {
          const guide = client(address);
          stack.push({ stop: () => guide.close() });
          return guide;
        },
        defer: (item) => stack.push(item),
      });
    } finally {
      // Newest first, each stop awaited before the next.
      for (const item of stack.reverse()) await item.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Two replicas of server.ts started with `args`, and a client to each. */
async function replicaPair(
  env: RedisEnv,
  args: string[],
): Promise<[RouteGuideClient, RouteGuideClient]> {
  const a = await env.server(args);
  const b = await env.server(args);
  return [env.client(a.address), env.client(b.address)];
}

/** Process ids of `pid`'s children. */
async function children(pid: number): Promise<number[]> {
  const { stdout } = await new Deno.Command("pgrep", {
    args: ["-P", String(pid)],
  }).output();
  return new TextDecoder().decode(stdout).split("\n").filter((l) => l)
    .map(Number);
}

/** Process ids holding the established server side of connections to `port`. */
async function connectionOwners(port: string): Promise<Set<number>> {
  const { stdout } = await new Deno.Command("ss", {
    args: ["-Htnp", "state", "established", `sport = :${port}`],
  }).output();
  const text = new TextDecoder().decode(stdout);
  return new Set([...text.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])));
}

async function alive(pid: number): Promise<boolean> {
  const { success } = await new Deno.Command("kill", {
    args: ["-0", String(pid)],
    stderr: "null",
  }).output();
  return success;
}

function client(address: string | string[]): RouteGuideClient {
  // A channel of its own: grpc-js otherwise shares one connection between
  // clients of one target, and these tests need separate connections.
  return new RouteGuideClient(address, {
    channelOptions: { "grpc.use_local_subchannel_pool": 1 },
  });
}

Deno.test({
  name:
    "RedisNoteBoard answers exactly as MemoryNoteBoard, bounds and least-recently-used eviction included" +
    skipped("redis-server"),
  ignore: !hasRedis,
  fn: () =>
    withRedis(async (env) => {
      const limits = { notesPerLocation: 3, maxLocations: 3 };
      const memory = new MemoryNoteBoard(limits);
      const board = await RedisNoteBoard.connect({
        url: env.redis.url(8),
        ...limits,
      });
      env.defer({ stop: () => board.close() });
      // The reference case, then more notes than a location keeps, then
      // more locations than the board keeps (p1 used last, so p2 goes).
      const p = (i: number) => [i * 1000, -i * 1000] as const;
      const script: [readonly [number, number], string][] = [
        [p(1), "n1"],
        [p(2), "n2"],
        [p(1), "n3"],
        [p(2), "n4"],
        [p(1), "n5"],
        [p(1), "n6"],
        [p(1), "n7"],
        [p(3), "n8"],
        [p(1), "n9"],
        [p(4), "n10"],
        [p(2), "n11"],
        [p(1), "n12"],
        [p(3), "n13"],
      ];
      const run = async (b: NoteBoard) => {
        const out = [];
        for (const [[lat, lng], message] of script) {
          out.push((await b.exchange(note(lat, lng, message))).map((n) =>
            `${n.location!.latitude},${n.location!.longitude}:${n.message}`
          ));
        }
        return out;
      };
      const expected = await run(memory);
      assert.deepEqual(expected.slice(0, 6), [
        [],
        [],
        ["1000,-1000:n1"],
        ["2000,-2000:n2"],
        ["1000,-1000:n1", "1000,-1000:n3"],
        ["1000,-1000:n1", "1000,-1000:n3", "1000,-1000:n5"],
      ]);
      // n7: only the 3 newest at p1 are kept; n11: p2 was evicted.
      assert.deepEqual(expected[6], [
        "1000,-1000:n3",
        "1000,-1000:n5",
        "1000,-1000:n6",
      ]);
      assert.deepEqual(expected[10], []);
      assert.deepEqual(await run(board), expected);
    }),
});

Deno.test({
  name:
    "two replicas sharing Redis: a note sent through A reaches a client of B, and live a chat on A" +
    skipped("redis-server"),
  ignore: !hasRedis,
  fn: () =>
    withRedis(async (env) => {
      const [onA, onB] = await replicaPair(env, ["--notes", env.redis.url(1)]);
      assert.deepEqual(await chat(onA, [note(5, 5, "from A")]), []);
      assert.deepEqual(await chat(onB, [note(5, 5, "from B")]), ["from A"]);
      assert.deepEqual(await chat(onA, [note(5, 5, "again A")]), [
        "from A",
        "from B",
      ]);
      // A chat left open on A hears, live through Redis, a note sent to B.
      const answered = Promise.withResolvers<void>();
      const heardLive = Promise.withResolvers<void>();
      async function* watching() {
        yield note(5, 5, "watching");
        await heardLive.promise;
      }
      const heard: string[] = [];
      const watcher = (async () => {
        for await (
          const n of onA.routeChat(watching(), { timeoutMs: 20_000 })
        ) {
          heard.push(n.message);
          if (heard.length === 3) answered.resolve();
          if (n.message === "live from B") heardLive.resolve();
        }
      })();
      await answered.promise;
      assert.deepEqual(await chat(onB, [note(5, 5, "live from B")]), [
        "from A",
        "from B",
        "again A",
        "watching",
      ]);
      await watcher;
      assert.deepEqual(heard, ["from A", "from B", "again A", "live from B"]);
    }),
});

Deno.test({
  name:
    "concurrent writers on two replicas at one location: each note stored once, per-writer order kept, each exchange atomic, the others' notes live" +
    skipped("redis-server"),
  ignore: !hasRedis,
  fn: () =>
    withRedis(async (env) => {
      const [onA, onB] = await replicaPair(env, [
        "--notes",
        env.redis.url(2),
        "--notes-per-location",
        "1000",
      ]);
      const count = 150;
      const sent = (who: string) =>
        Array.from({ length: count }, (_, i) => note(7, 7, `${who}${i}`));
      // Several writers per replica, all at once, one location.
      const writers = ["a", "b", "c", "d"];
      const replies = await Promise.all(
        writers.map((w, i) => chat(i % 2 ? onB : onA, sent(w))),
      );
      const [stored] = [await chat(onA, [note(7, 7, "reader")])];
      assert.equal(stored.length, count * writers.length);
      assert.equal(new Set(stored).size, stored.length, "no note twice");
      for (const [i, w] of writers.entries()) {
        const mine = stored.filter((m) => m.startsWith(w));
        assert.deepEqual(mine, sent(w).map((n) => n.message), "order");
        // Each exchange returned exactly the notes stored before it; live,
        // w heard some of the other writers' notes stored after its first
        // one (not those an answer of its own held when they came), each
        // once, in the order stored.
        const answers = sent(w).flatMap((n) =>
          stored.slice(0, stored.indexOf(n.message))
        );
        const first = stored.indexOf(`${w}0`);
        // A note heard live comes before any answer that holds it: the
        // answers' copies are the last ones.
        const pushed = [...replies[i]];
        for (const answer of answers) {
          const at = pushed.lastIndexOf(answer);
          assert.ok(at >= 0, `writer ${w}: ${answer} missing`);
          pushed.splice(at, 1);
        }
        const order = pushed.map((m) => stored.indexOf(m));
        assert.deepEqual(order, order.toSorted((a, b) => a - b), `${w}`);
        assert.equal(new Set(pushed).size, pushed.length, `${w}: twice`);
        assert.ok(
          pushed.every((m) => !m.startsWith(w) && stored.indexOf(m) > first),
          `writer ${w}: ${pushed}`,
        );
      }
    }),
});

Deno.test({
  name: "notes outlive a restart of both replicas" + skipped("redis-server"),
  ignore: !hasRedis,
  fn: () =>
    withRedis(async (env) => {
      const notes = ["--notes", env.redis.url(3)];
      for (const round of [1, 2, 3]) {
        const a = await ServerProcess.start(notes);
        const b = await ServerProcess.start(notes);
        const onA = client(a.address);
        const onB = client(b.address);
        try {
          const earlier = Array.from(
            { length: 2 * (round - 1) },
            (_, i) => `${i % 2 ? "B" : "A"}${Math.floor(i / 2) + 1}`,
          );
          assert.deepEqual(
            await chat(onA, [note(9, 9, `A${round}`)]),
            earlier,
          );
          await chat(onB, [note(9, 9, `B${round}`)]);
        } finally {
          onA.close();
          onB.close();
          await a.stop();
          await b.stop();
        }
      }
    }),
});

Deno.test({
  name:
    'Redis lost mid-run: RouteChat fails UNAVAILABLE, health turns routeguide.RouteGuide NOT_SERVING ("" stays SERVING), other RPCs work, the server stays up and recovers with every note kept' +
    skipped("redis-server"),
  ignore: !hasRedis,
  fn: () =>
    withRedis(async (env) => {
      const db = await replicaDb(env.dir, "solo");
      const server = await env.server([
        "--notes",
        env.redis.url(4),
        "--db",
        db,
      ]);
      const guide = env.client(server.address);
      const health = healthClient(server.address);
      env.defer({ stop: () => health.close() });
      assert.deepEqual(await chat(guide, [note(3, 3, "before")]), []);
      assert.equal(await checkHealth(health, ""), "SERVING");
      assert.equal(await checkHealth(health, SERVICE_NAME), "SERVING");

      await env.redis.stop("SIGKILL");
      // RouteGuide cannot keep its promise (RouteChat); the server as a
      // whole is still up and serving the other RPCs.
      await untilRouteGuideIs(health, "NOT_SERVING");
      const error = await until("RouteChat to fail", async () => {
        try {
          await chat(guide, [note(3, 3, "during")]);
          return undefined;
        } catch (error) {
          return error;
        }
      });
      assert.ok(error instanceof RouteGuideError);
      assert.equal(error.code, Status.UNAVAILABLE, error.message);
      assert.match(
        error.message,
        /^RouteChat notes are unavailable: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/4/,
      );

      // The rest of the service does not need Redis.
      const here = { latitude: 10, longitude: 10 };
      assert.equal((await guide.getFeature(here)).name, "solo");
      const listed = [];
      for await (
        const f of guide.listFeatures({
          lo: { latitude: 0, longitude: 0 },
          hi: { latitude: 30, longitude: 30 },
        })
      ) listed.push(f.name);
      assert.deepEqual(listed, ["solo", "solo north"]);
      assert.equal((await guide.recordRoute([here, here])).featureCount, 2);

      await env.restartRedis();
      await untilRouteGuideIs(health, "SERVING");
      const after = await until("RouteChat to recover", async () => {
        try {
          return await chat(guide, [note(3, 3, "after")]);
        } catch (error) {
          if ((error as RouteGuideError).code !== Status.UNAVAILABLE) {
            throw error;
          }
          return undefined;
        }
      });
      // "during" was refused, so it was never stored.
      assert.deepEqual(after, ["before"]);
      assert.equal(server.exited, false, "the server never exits");
    }),
});

Deno.test({
  name:
    "RedisNoteBoard reports health changes when Redis goes away and comes back" +
    skipped("redis-server"),
  ignore: !hasRedis,
  fn: () =>
    withRedis(async (env) => {
      const board = await RedisNoteBoard.connect({
        url: env.redis.url(5),
        maxReconnectDelayMs: 200,
      });
      env.defer({ stop: () => board.close() });
      assert.equal(board.healthy, true);
      const changes: boolean[] = [];
      const next = () =>
        new Promise<boolean>((resolve) => {
          const stop = board.onHealthChange((healthy) => {
            stop();
            resolve(healthy);
          });
        });
      board.onHealthChange((healthy) => changes.push(healthy));
      await board.exchange(note(1, 2, "kept"));

      const down = next();
      await env.redis.stop("SIGKILL");
      assert.equal(await down, false);
      assert.equal(board.healthy, false);
      const error = await failure(board.exchange(note(1, 2, "lost")));
      assert.equal(error.code, Status.UNAVAILABLE);

      const up = next();
      await env.restartRedis();
      assert.equal(await up, true);
      assert.deepEqual(
        (await board.exchange(note(1, 2, "later"))).map((n) => n.message),
        ["kept"],
      );
      assert.deepEqual(changes, [false, true]);
    }),
});

Deno.test("a server whose Redis is unreachable at start says so in one line and exits non-zero", async () => {
  const url = `redis://127.0.0.1:${freePort()}/0`;
  const { code, stderr } = await ServerProcess.run(["--notes", url]);
  assert.notEqual(code, 0);
  assert.equal(stderr.length, 1, stderr.join("\n"));
  assert.match(
    stderr[0],
    new RegExp(`^routeguide server: --notes: cannot reach Redis at ${url}`),
  );
});

Deno.test("--workers above 1 without --notes redis:// is refused with the reason", async () => {
  const { code, stderr } = await ServerProcess.run(["--workers", "2"]);
  assert.notEqual(code, 0);
  assert.deepEqual(stderr, [
    "routeguide server: --workers 2 needs --notes redis://...: each worker is its own process, so RouteChat notes must live in a shared Redis",
  ]);
});

Deno.test({
  name:
    "--workers 2 serves every RPC from two processes on one port, shares notes between them and replaces a worker that dies" +
    skipped("redis-server"),
  ignore: !hasRedis,
  fn: () =>
    withRedis(async (env) => {
      const db = await replicaDb(env.dir, "pool");
      const server = await env.server([
        "--workers",
        "2",
        "--notes",
        env.redis.url(6),
        "--db",
        db,
      ]);
      assert.match(server.stdout.lines.join("\n"), /with 2 workers/);
      const workers = await children(server.process.pid);
      assert.equal(workers.length, 2, "two worker processes");

      // The primary hands each new connection to the next worker.
      const clients = [client(server.address), client(server.address)];
      try {
        const here = { latitude: 10, longitude: 10 };
        for (const c of clients) {
          assert.equal((await c.getFeature(here)).name, "pool");
          assert.equal((await c.recordRoute([here])).pointCount, 1);
          let listed = 0;
          for await (
            const _ of c.listFeatures({ lo: here, hi: here })
          ) listed++;
          assert.equal(listed, 1);
        }
        assert.deepEqual(await chat(clients[0], [note(4, 4, "w1")]), []);
        assert.deepEqual(await chat(clients[1], [note(4, 4, "w2")]), ["w1"]);
      } finally {
        for (const c of clients) c.close();
      }

      // A worker that dies is replaced, and the port keeps answering.
      Deno.kill(workers[0], "SIGKILL");
      const now = await until("a replacement worker", async () => {
        const pids = await children(server.process.pid);
        return pids.length === 2 && !pids.includes(workers[0])
          ? pids
          : undefined;
      });
      const fresh = client(server.address);
      try {
        const here = { latitude: 10, longitude: 10 };
        for (let i = 0; i < 4; i++) {
          assert.equal((await fresh.getFeature(here)).name, "pool");
        }
      } finally {
        fresh.close();
      }

      const { code } = await server.stop();
      assert.equal(code, 0, "SIGTERM stops the workers and the primary");
      for (const pid of now) {
        assert.equal(await alive(pid), false, "no worker outlives it");
      }
    }),
});

Deno.test({
  name:
    "--workers 2: each worker turns routeguide.RouteGuide NOT_SERVING while Redis is down and SERVING once it is back" +
    skipped("redis-server"),
  ignore: !hasRedis,
  fn: () =>
    withRedis(async (env) => {
      const server = await env.server([
        "--workers",
        "2",
        "--notes",
        env.redis.url(8),
        "--db",
        await replicaDb(env.dir, "pool"),
      ]);
      const workers = await children(server.process.pid);
      assert.equal(workers.length, 2, "two worker processes");
      // One connection each; the primary hands them to the workers in turn.
      const checks = Array.from(
        { length: 4 },
        () =>
          healthClient(server.address, undefined, {
            "grpc.use_local_subchannel_pool": 1,
          }),
      );
      try {
        for (const health of checks) {
          assert.equal(await checkHealth(health, SERVICE_NAME), "SERVING");
        }
        // Each worker has its own board and health: both must be asked.
        const owners = await connectionOwners(server.address.split(":")[1]);
        assert.deepEqual([...owners].sort(), [...workers].sort());

        await env.redis.stop("SIGKILL");
        for (const health of checks) {
          await untilRouteGuideIs(health, "NOT_SERVING");
        }
        await env.restartRedis();
        for (const health of checks) {
          await untilRouteGuideIs(health, "SERVING");
        }
        assert.deepEqual(await children(server.process.pid), workers);
      } finally {
        for (const health of checks) health.close();
      }
    }),
});

Deno.test({
  name:
    "through nginx: all four RPCs and health work and RouteChat shares notes across the replicas behind it" +
    skipped("redis-server", "nginx"),
  ignore: !hasRedis || !hasNginx,
  fn: () =>
    withRedis(async (env) => {
      const replicas = [];
      for (const name of ["east", "west"]) {
        const db = await replicaDb(env.dir, name);
        replicas.push(
          await env.server(["--notes", env.redis.url(7), "--db", db]),
        );
      }
      const nginx = await NginxProcess.start(
        env.dir,
        replicas.map((r) => r.address),
      );
      env.defer(nginx);
      const guide = env.client(nginx.address);
      const here = { latitude: 10, longitude: 10 };
      // nginx balances per call: both replicas answer in turn.
      const names = new Set<string>();
      for (let i = 0; i < 4; i++) {
        names.add((await guide.getFeature(here)).name);
      }
      assert.deepEqual([...names].sort(), ["east", "west"]);

      const listed = [];
      for await (
        const f of guide.listFeatures({
          lo: { latitude: 0, longitude: 0 },
          hi: { latitude: 30, longitude: 30 },
        })
      ) listed.push(f.name.split(" ")[1] ?? "");
      assert.deepEqual(listed, ["", "north"]);
      const summary = await guide.recordRoute([
        here,
        { latitude: 20, longitude: 10 },
      ]);
      assert.equal(summary.pointCount, 2);
      assert.equal(summary.featureCount, 2);

      const said = ["one", "two", "three", "four"];
      for (const [i, message] of said.entries()) {
        assert.deepEqual(
          await chat(guide, [note(6, 6, message)]),
          said.slice(0, i),
        );
      }
      const used = await nginx.upstreamsUsed(env.dir);
      for (const r of replicas) assert.ok(used.has(r.address), r.address);

      // Health passes through too, so nginx can front health checks.
      const health = healthClient(nginx.address);
      try {
        assert.equal(await checkHealth(health, SERVICE_NAME), "SERVING");
      } finally {
        health.close();
      }
    }),
});
