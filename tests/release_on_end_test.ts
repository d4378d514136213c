/**
 * Letting go of a call's handler when the call ends: the interceptor next
 * to the transport holds the handler's side of a call while the call runs,
 * and nothing of it once grpc-js has reported the end.
 */
import * as grpc from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { RouteGuideClient } from "../mod.ts";
import {
  asInterceptedCall,
  ListeningCall,
} from "../lib/grpc/forwarding_call.ts";
import { routeGuideServiceDefinition } from "../lib/grpc/proto.ts";
import type { Feature, Point, Rectangle } from "../mod.ts";
import { bindLoopback, collect, feature, pt, WORLD } from "./helpers.ts";

/**
 * The outbound call's base (a plain ListeningCall) with its
 * listener in view, and the end of the call as a promise.
 */
class Watched extends ListeningCall {
  readonly ended = Promise.withResolvers<void>();
  get held(): unknown {
    return this.listener;
  }
  override onCancel(): void {
    super.onCancel();
    this.ended.resolve();
  }
}

/** A server whose calls pass through a Watched call next to the transport. */
async function watchedServer(): Promise<{
  address: string;
  server: grpc.Server;
  calls: Watched[];
  heldDuringCall: unknown[];
}> {
  const calls: Watched[] = [];
  const heldDuringCall: unknown[] = [];
  const server = new grpc.Server({
    interceptors: [(_method, call) => {
      const watched = new Watched(call);
      calls.push(watched);
      return asInterceptedCall(watched);
    }],
  });
  server.addService(routeGuideServiceDefinition, {
    GetFeature(
      call: grpc.ServerUnaryCall<Point, Feature>,
      callback: grpc.sendUnaryData<Feature>,
    ) {
      heldDuringCall.push(calls.at(-1)!.held);
      callback(null, feature("here", call.request.latitude, 0));
    },
    ListFeatures(call: grpc.ServerWritableStream<Rectangle, Feature>) {
      heldDuringCall.push(calls.at(-1)!.held);
      for (let i = 0; i < 3; i++) call.write(feature(`f${i}`, i, i));
      call.end();
    },
  });
  return { address: await bindLoopback(server), server, calls, heldDuringCall };
}

Deno.test("a call lets go of its handler once grpc-js reports its end, unary and streaming alike", async () => {
  const { address, server, calls, heldDuringCall } = await watchedServer();
  const client = new RouteGuideClient(address);
  try {
    assert.equal((await client.getFeature(pt(7, 0))).name, "here");
    assert.equal((await collect(client.listFeatures(WORLD))).length, 3);
    assert.equal(calls.length, 2);
    // While each call ran, the handler's listener was held...
    assert.ok(heldDuringCall.every((held) => held !== undefined));
    // ... and once each ended, it was let go of.
    await Promise.all(calls.map((call) => call.ended.promise));
    assert.ok(calls.every((call) => call.held === undefined));
  } finally {
    client.close();
    server.forceShutdown();
  }
});

Deno.test("what arrives after a call's end goes nowhere, without an error", async () => {
  const { address, server, calls } = await watchedServer();
  const client = new RouteGuideClient(address);
  try {
    await client.getFeature(pt(1, 0));
    await calls[0].ended.promise;
    // grpc-js may still flush a request frame after the end.
    calls[0].onReceiveMessage(pt(2, 0));
    calls[0].onReceiveHalfClose();
    calls[0].onCancel();
    assert.equal(calls[0].held, undefined);
  } finally {
    client.close();
    server.forceShutdown();
  }
});
