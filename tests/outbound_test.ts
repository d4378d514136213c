/**
 * Write-ahead: a call may hand grpc-js up to `window` response messages
 * before they are written, and no more; answers still arrive whole, in
 * order, with their status, and a cancel still ends the call. Calls that
 * arrive on a connection already holding its window do not start.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { RouteGuideClient, Status } from "../mod.ts";
import {
  asInterceptedCall,
  ForwardingCall,
} from "../lib/grpc/forwarding_call.ts";
import { routeGuideServiceDefinition } from "../lib/grpc/proto.ts";
import { OutboundBudget } from "../lib/grpc/outbound.ts";
import { DEFAULT_LIMITS } from "../lib/grpc/limits.ts";
import type { Feature, Rectangle } from "../mod.ts";
import { encodeRectangle } from "../lib/grpc/wire_encode.ts";
import { stalledCall } from "./_raw_http2.ts";
import {
  assertStatus,
  bindLoopback,
  collect,
  feature,
  WORLD,
} from "./helpers.ts";

/** Counts messages handed to the transport and not yet written. */
class InFlight extends ForwardingCall {
  static most = 0;
  // The budget's interceptor finds the HTTP/2 stream on the call it wraps.
  get stream(): unknown {
    return (this.next as unknown as { stream: unknown }).stream;
  }
  #writing = 0;
  override sendMessage(message: unknown, callback: () => void): void {
    InFlight.most = Math.max(InFlight.most, ++this.#writing);
    super.sendMessage(message, () => {
      this.#writing--;
      callback();
    });
  }
}

/**
 * A server whose ListFeatures writes `count` features as fast as grpc-js
 * takes them, through write-ahead with `window`, watched below it.
 */
async function streamingServer(
  window: number,
  count: number,
  cancelled?: PromiseWithResolvers<void>,
): Promise<{ address: string; server: grpc.Server }> {
  InFlight.most = 0;
  const server = new grpc.Server({
    // grpc-js wraps the transport's call in the first interceptor first:
    // InFlight sits between write-ahead and the transport.
    interceptors: [
      (_method, call) => asInterceptedCall(new InFlight(call)),
      new OutboundBudget(DEFAULT_LIMITS, window).interceptor(),
    ],
  });
  server.addService(routeGuideServiceDefinition, {
    ListFeatures(call: grpc.ServerWritableStream<Rectangle, Feature>) {
      call.on("cancelled", () => cancelled?.resolve());
      let i = 0;
      const more = () => {
        while (i < count && !call.cancelled) {
          if (!call.write(feature(`f${i}`, i, i++))) {
            return call.once("drain", more);
          }
        }
        if (!call.cancelled) call.end();
      };
      more();
    },
  });
  return { address: await bindLoopback(server), server };
}

Deno.test("write-ahead: a long stream arrives whole and in order, with at most `window` messages being written at once", async () => {
  const { address, server } = await streamingServer(8, 5_000);
  const client = new RouteGuideClient(address);
  try {
    const features = await collect(client.listFeatures(WORLD));
    assert.equal(features.length, 5_000);
    assert.ok(features.every((f, i) => f.name === `f${i}`));
    assert.ok(InFlight.most <= 8, `${InFlight.most} messages at once`);
    // Without write-ahead grpc-js hands over one message at a time.
    assert.ok(InFlight.most > 1, "messages were handed over one at a time");
  } finally {
    client.close();
    server.forceShutdown();
  }
});

Deno.test("write-ahead: a window of 1 is grpc-js's own pace", async () => {
  const { address, server } = await streamingServer(1, 500);
  const client = new RouteGuideClient(address);
  try {
    assert.equal((await collect(client.listFeatures(WORLD))).length, 500);
    assert.equal(InFlight.most, 1);
  } finally {
    client.close();
    server.forceShutdown();
  }
});

Deno.test("write-ahead: a client that cancels mid-stream ends the call on the server", async () => {
  const cancelled = Promise.withResolvers<void>();
  const { address, server } = await streamingServer(128, 1_000_000, cancelled);
  const client = new RouteGuideClient(address);
  const controller = new AbortController();
  try {
    let seen = 0;
    await assertStatus(
      (async () => {
        for await (
          const _ of client.listFeatures(WORLD, { signal: controller.signal })
        ) {
          if (++seen === 100) controller.abort();
        }
      })(),
      Status.CANCELLED,
    );
    await cancelled.promise;
  } finally {
    client.close();
    server.forceShutdown();
  }
});

Deno.test("calls that arrive on a connection that stopped reading wait there: 100 at once start only a few handlers", async () => {
  let arrived = 0;
  const started = Promise.withResolvers<void>();
  class Arrived extends ForwardingCall {
    override start(listener: Parameters<ForwardingCall["start"]>[0]): void {
      if (++arrived === 100) started.resolve();
      super.start(listener);
    }
  }
  const server = new grpc.Server({
    interceptors: [
      new OutboundBudget(DEFAULT_LIMITS).interceptor(),
      (_method, call) => asInterceptedCall(new Arrived(call)),
    ],
  });
  let handlers = 0;
  // 1 KiB answers: a connection's window is 64 of them.
  const name = "x".repeat(1_024);
  server.addService(routeGuideServiceDefinition, {
    ListFeatures(call: grpc.ServerWritableStream<Rectangle, Feature>) {
      handlers++;
      let i = 0;
      const more = () => {
        while (i < 1_000_000 && !call.cancelled) {
          if (!call.write(feature(name, i, i++))) {
            return call.once("drain", more);
          }
        }
      };
      more();
    },
    GetFeature(
      _call: grpc.ServerUnaryCall<unknown, Feature>,
      callback: grpc.sendUnaryData<Feature>,
    ) {
      callback(null, feature("here", 1, 1));
    },
  });
  const address = await bindLoopback(server);
  const port = Number(address.split(":").at(-1));
  const conn = await stalledCall(
    port,
    "/routeguide.RouteGuide/ListFeatures",
    encodeRectangle(WORLD),
    100,
  );
  const client = new RouteGuideClient(address);
  try {
    await started.promise;
    // A call on another connection goes through at once, after the
    // stalled connection's streams have all been seen.
    assert.equal(
      (await client.getFeature({ latitude: 1, longitude: 1 })).name,
      "here",
    );
    assert.ok(
      handlers >= 1 && handlers <= 10,
      `${handlers} of 100 handlers started`,
    );
  } finally {
    client.close();
    conn.close();
    server.forceShutdown();
  }
});
