/**
 * grpc.health.v1.Health: SERVING while up, NOT_SERVING once shutdown begins.
 */
import assert from "node:assert/strict";
import {
  FeatureDatabase,
  MemoryNoteBoard,
  type NoteBoard,
  type RouteGuideServer,
  type ServerOptions,
  startServer,
  Status,
} from "../mod.ts";
import { SERVICE_NAME } from "../lib/grpc/proto.ts";
import {
  checkHealth,
  type HealthClient,
  healthClient,
} from "./_prod_helpers.ts";

/**
 * Runs `fn` with a server on 127.0.0.1 port 0 (`options` over that) and a
 * health client to it; closes both afterwards.
 */
async function withHealthClient(
  options: ServerOptions,
  fn: (server: RouteGuideServer, health: HealthClient) => Promise<void>,
): Promise<void> {
  const server = await startServer({ host: "127.0.0.1", port: 0, ...options });
  const health = healthClient(server.address);
  try {
    await fn(server, health);
  } finally {
    health.close();
    await server.close(0);
  }
}

Deno.test("health reports SERVING for the server and routeguide.RouteGuide", async () => {
  await withHealthClient({ features: new FeatureDatabase([]) }, async (
    _server,
    health,
  ) => {
    assert.equal(await checkHealth(health, ""), "SERVING");
    assert.equal(await checkHealth(health, "routeguide.RouteGuide"), "SERVING");
    await assert.rejects(
      checkHealth(health, "no.such.Service"),
      (error: { code: number }) => error.code === Status.NOT_FOUND,
    );
  });
});

Deno.test("health watchers see NOT_SERVING once shutdown begins", async () => {
  await withHealthClient({ features: new FeatureDatabase([]) }, async (
    server,
    health,
  ) => {
    const watches = ["", "routeguide.RouteGuide"].map((service) => {
      const call = health.watch({ service });
      const statuses: string[] = [];
      const serving = Promise.withResolvers<void>();
      const notServing = Promise.withResolvers<void>();
      call.on("data", ({ status }) => {
        statuses.push(status);
        if (status === "SERVING") serving.resolve();
        if (status === "NOT_SERVING") notServing.resolve();
      });
      call.on("error", (error) => {
        serving.reject(error);
        notServing.reject(error);
      });
      return {
        call,
        statuses,
        serving: serving.promise,
        notServing: notServing.promise,
      };
    });
    await Promise.all(watches.map((watch) => watch.serving));
    const closing = server.close(5_000);
    await Promise.all(watches.map((watch) => watch.notServing));
    for (const watch of watches) {
      assert.deepEqual(watch.statuses, ["SERVING", "NOT_SERVING"]);
      // Watches are the last calls in flight; ending them lets shutdown finish.
      watch.call.cancel();
    }
    await closing;
  });
});

/** A note board whose health the test switches; it keeps its listeners in view. */
class SwitchableBoard extends MemoryNoteBoard implements NoteBoard {
  healthy: boolean;
  readonly listeners = new Set<(healthy: boolean) => void>();

  constructor(healthy: boolean) {
    super();
    this.healthy = healthy;
  }

  onHealthChange(listener: (healthy: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes health and tells every listener, as RedisNoteBoard does. */
  switchTo(healthy: boolean): void {
    this.healthy = healthy;
    for (const listener of [...this.listeners]) listener(healthy);
  }
}

/** Watches `service`; `next()` resolves with each status as it arrives. */
function watchHealth(health: HealthClient, service: string) {
  const call = health.watch({ service });
  const statuses: string[] = [];
  const waiting: ((status: string) => void)[] = [];
  const ended = Promise.withResolvers<void>();
  call.on("data", ({ status }: { status: string }) => {
    statuses.push(status);
    waiting.shift()?.(status);
  });
  // Shutdown ends the watch with an error status; that is its end here.
  call.on("error", () => {});
  call.on("close", () => ended.resolve());
  let seen = 0;
  return {
    call,
    statuses,
    ended: ended.promise,
    next(): Promise<string> {
      const i = seen++;
      return i < statuses.length
        ? Promise.resolve(statuses[i])
        : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

Deno.test("a note board that is down at start makes routeguide.RouteGuide NOT_SERVING while the server stays SERVING", async () => {
  await withHealthClient({ notes: new SwitchableBoard(false) }, async (
    _server,
    health,
  ) => {
    assert.equal(await checkHealth(health, ""), "SERVING");
    assert.equal(await checkHealth(health, SERVICE_NAME), "NOT_SERVING");
  });
});

Deno.test("note board health drives routeguide.RouteGuide only, and cannot turn it SERVING again once shutdown begins", async () => {
  const board = new SwitchableBoard(true);
  await withHealthClient({ notes: board }, async (server, health) => {
    const overall = watchHealth(health, "");
    const guide = watchHealth(health, SERVICE_NAME);
    assert.equal(await overall.next(), "SERVING");
    assert.equal(await guide.next(), "SERVING");

    board.switchTo(false);
    assert.equal(await guide.next(), "NOT_SERVING");
    board.switchTo(true);
    assert.equal(await guide.next(), "SERVING");

    // The watches keep shutdown waiting until the grace period ends and
    // grpc-js cancels them: a status sent before that would reach us first.
    const closing = server.close(200);
    assert.equal(await overall.next(), "NOT_SERVING");
    assert.equal(await guide.next(), "NOT_SERVING");
    assert.equal(board.listeners.size, 0, "close() stops listening first");
    board.switchTo(false);
    board.switchTo(true); // a late "Redis is back"
    await closing;
    await Promise.all([overall.ended, guide.ended]);
    assert.deepEqual(overall.statuses, ["SERVING", "NOT_SERVING"]);
    assert.deepEqual(guide.statuses, [
      "SERVING",
      "NOT_SERVING",
      "SERVING",
      "NOT_SERVING",
    ]);
  });
});
