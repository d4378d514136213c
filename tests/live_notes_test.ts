/**
 * Live RouteChat against clients that stop reading: the notes others leave
 * where such a client wrote pile up for it only so far, then its call ends
 * RESOURCE_EXHAUSTED, on either port; the writers go on.
 */
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { MemoryNoteBoard } from "../lib/domain/memory_notes.ts";
import { NOT_READING } from "../lib/domain/errors.ts";
import { FeatureDatabase } from "../lib/domain/features.ts";
import { createRouteGuide } from "../lib/domain/service.ts";
import * as es from "../lib/gen/es/route_guide_pb.ts";
import { RouteGuideClient } from "../lib/grpc/client.ts";
import { createLogger } from "../lib/grpc/log.ts";
import { startServer } from "../lib/grpc/server.ts";
import { encodeRouteNote } from "../lib/grpc/wire_encode.ts";
import { startWebServer } from "../lib/web/server.ts";
import { stalledCall } from "./_raw_http2.ts";

const HERE = { latitude: 5, longitude: 5 };
// Near the longest note (1,024 bytes): 29 of them pass the unread bound.
const BIG = "x".repeat(1_000);

/** Both ports over one note board that keeps one note per location. */
async function bothPorts() {
  const calls: Record<string, unknown>[] = [];
  const logger = createLogger({
    format: "json",
    write: (text) => {
      const fields = JSON.parse(text);
      if (fields.msg === "call") calls.push(fields);
    },
  });
  // One note kept: each note the writer sends is answered with one.
  const handlers = createRouteGuide({
    features: new FeatureDatabase([]),
    notes: new MemoryNoteBoard({ notesPerLocation: 1 }),
  });
  const common = { host: "127.0.0.1", port: 0, handlers, logger };
  const grpc = await startServer(common);
  const web = await startWebServer({ ...common, shareLimitsWith: grpc });
  const client = new RouteGuideClient(grpc.address);
  return {
    grpc,
    web,
    client,
    calls,
    /** Sends `count` big notes at HERE from one chat that reads. */
    async write(count: number): Promise<number> {
      const notes = Array.from({ length: count }, (_, i) => ({
        location: HERE,
        message: `${i} ${BIG}`,
      }));
      return (await Array.fromAsync(client.routeChat(notes))).length;
    },
    async [Symbol.asyncDispose]() {
      client.close();
      await Promise.all([grpc.close(100), web.close(100)]);
    },
  };
}

/** Waits until a note left at HERE by a call that does not read is stored. */
async function stored(client: RouteGuideClient, message: string) {
  for (;;) {
    const [earlier] = await Array.fromAsync(
      client.routeChat([{ location: HERE, message: "probe" }]),
    );
    if (earlier?.message === message) return;
  }
}

for (
  const [name, port, contentType] of [
    ["gRPC", "grpc", "application/grpc"],
    ["Connect (h2c)", "web", "application/connect+proto"],
  ] as const
) {
  Deno.test(`a ${name} chat that stops reading while others write where it did ends RESOURCE_EXHAUSTED; the writer goes on`, async () => {
    await using ports = await bothPorts();
    const address = port === "grpc"
      ? ports.grpc.address
      : new URL(ports.web.url).host;
    // Writes one note at HERE, never reads and never half-closes.
    const conn = await stalledCall(
      Number(address.split(":").at(-1)),
      "/routeguide.RouteGuide/RouteChat",
      encodeRouteNote({ location: HERE, message: "watching" }),
      1,
      1,
      { halfClose: false, contentType },
    );
    try {
      await stored(ports.client, "watching");
      // 64 notes fill the stream's window, 29 more wait: 120 are past both.
      // Each is answered with the note before it.
      assert.equal(await ports.write(120), 120);
      const stalled = ports.calls.find((call) =>
        call.method === "/routeguide.RouteGuide/RouteChat" &&
        call.code === "RESOURCE_EXHAUSTED"
      );
      assert.ok(stalled, JSON.stringify(ports.calls.map((c) => c.code)));
      assert.equal(stalled.details, NOT_READING);
      // The server serves on.
      assert.equal(await ports.write(3), 3);
    } finally {
      conn.close();
    }
  });
}

Deno.test("a RouteChat WebSocket that stops reading while others write where it did ends RESOURCE_EXHAUSTED; the writer goes on", async () => {
  await using ports = await bothPorts();
  const { hostname, port } = new URL(ports.web.url);
  const socket = await Deno.connect({ hostname, port: Number(port) });
  try {
    await socket.write(new TextEncoder().encode(
      "GET /routeguide.RouteGuide/RouteChat HTTP/1.1\r\nHost: x\r\n" +
        "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: routeguide.v1\r\n\r\n",
    ));
    await socket.write(maskedFrame(
      toBinary(
        es.RouteNoteSchema,
        create(es.RouteNoteSchema, { location: HERE, message: "watching" }),
      ),
    ));
    await stored(ports.client, "watching");
    // The kernel takes a few MB of what the socket is sent before Deno
    // holds any: write until the call has ended, at most 20,000 notes.
    let written = 0;
    const ended = () =>
      ports.calls.find((call) =>
        call.method === "/routeguide.RouteGuide/RouteChat" &&
        call.code === "RESOURCE_EXHAUSTED"
      );
    while (!ended() && written < 20_000) written += await ports.write(500);
    const stalled = ended();
    assert.ok(stalled, `${written} notes written, no RESOURCE_EXHAUSTED`);
    assert.equal(stalled.details, NOT_READING);
    assert.equal(await ports.write(3), 3);
  } finally {
    socket.close();
  }
});

/** One binary WebSocket frame as a client sends it (masked, zero mask). */
function maskedFrame(payload: Uint8Array): Uint8Array {
  const head = payload.length < 126
    ? [0x82, 0x80 | payload.length]
    : [0x82, 0x80 | 126, payload.length >> 8, payload.length & 0xff];
  return new Uint8Array([...head, 0, 0, 0, 0, ...payload]);
}
