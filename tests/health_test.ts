/**
 * grpc.health.v1.Health: SERVING while up, NOT_SERVING once shutdown begins.
 */
import assert from "node:assert/strict";
import { FeatureDatabase, startServer, Status } from "../mod.ts";
import { checkHealth, healthClient } from "./_prod_helpers.ts";

Deno.test("health reports SERVING for the server and routeguide.RouteGuide", async () => {
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    features: new FeatureDatabase([]),
  });
  const health = healthClient(server.address);
  try {
    assert.equal(await checkHealth(health, ""), "SERVING");
    assert.equal(await checkHealth(health, "routeguide.RouteGuide"), "SERVING");
    await assert.rejects(
      checkHealth(health, "no.such.Service"),
      (error: { code: number }) => error.code === Status.NOT_FOUND,
    );
  } finally {
    health.close();
    await server.close(0);
  }
});

Deno.test("health watchers see NOT_SERVING once shutdown begins", async () => {
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    features: new FeatureDatabase([]),
  });
  const health = healthClient(server.address);
  try {
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
  } finally {
    health.close();
    await server.close(0);
  }
});
