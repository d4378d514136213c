/**
 * Streams a connection opens at once are started a few per turn of the
 * event loop (lib/grpc/stream_turns.ts): every one is still served, and
 * those whose connection goes before their turn cost nothing.
 */
import assert from "node:assert/strict";
import { budgetOf } from "../lib/grpc/server.ts";
import { encodePoint, encodeRectangle } from "../lib/grpc/wire_encode.ts";
import { decodeFeature } from "../lib/grpc/wire_decode.ts";
import { FRAME, readFrames, stalledCall } from "./_raw_http2.ts";
import { feature, startTestServer, WORLD } from "./helpers.ts";
import { until } from "./scale_helpers.ts";

const END_STREAM = 0x1;
const STREAMS = 100;

Deno.test("100 calls sent in one write on one connection are each answered", async () => {
  await using t = await startTestServer([feature("here", 1, 2)]);
  // Streams 1, 3, 5... each ask for the feature at (1, 2), all in one write.
  const conn = await stalledCall(
    t.server.port,
    "/routeguide.RouteGuide/GetFeature",
    encodePoint({ latitude: 1, longitude: 2 }),
    STREAMS,
  );
  try {
    const frames = await readFrames(
      conn,
      (got) =>
        got.filter((f) => f.type === FRAME.HEADERS && f.flags & END_STREAM)
          .length === STREAMS,
    );
    for (let i = 0; i < STREAMS; i++) {
      const data = frames.find((f) =>
        f.type === FRAME.DATA && f.stream === 1 + 2 * i
      );
      assert.ok(data, `no answer on stream ${1 + 2 * i}`);
      assert.equal(decodeFeature(data.payload.subarray(5)).name, "here");
    }
  } finally {
    conn.close();
  }
});

Deno.test("calls whose connection closes before their turn never start", async () => {
  await using t = await startTestServer([feature("here", 1, 2)]);
  const budget = budgetOf(t.server)!;
  // 100 whole-world ListFeatures, never read; the connection closes while
  // most of them still wait for their turn.
  const conn = await stalledCall(
    t.server.port,
    "/routeguide.RouteGuide/ListFeatures",
    encodeRectangle(WORLD),
    STREAMS,
  );
  conn.close();
  await until(
    "the server to hold no call",
    () => Promise.resolve(budget.calls === 0 ? true : undefined),
  );
  // And it serves the next client.
  const answer = await t.client.getFeature({ latitude: 1, longitude: 2 });
  assert.equal(answer.name, "here");
});
