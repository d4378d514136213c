/**
 * Bad input on the web port: bodies that do not parse, wrong content
 * types and methods, messages over the limit, invalid coordinates, a
 * missing or wrong token, WebSockets that send garbage or never read their
 * answers. Each gets its Connect / gRPC-Web status (or WebSocket close
 * code), and the server keeps answering.
 */
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import * as connectWeb from "@connectrpc/connect-web";
import { createLogger } from "../lib/grpc/log.ts";
import * as es from "../lib/gen/es/route_guide_pb.ts";
import { gridFeatures } from "./_prod_helpers.ts";
import { startBothPorts, transports, webSocketCall } from "./_web_helpers.ts";

const FEATURES = gridFeatures(10);
const HERE = FEATURES[3].location!;

async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(() => undefined, (error) => error);
  assert.ok(error instanceof ConnectError, `expected a ConnectError: ${error}`);
  return error;
}

/** The server still answers GetFeature over Connect. */
async function assertServing(url: string): Promise<void> {
  const client = createClient(es.RouteGuide, transports(url)[0][1]);
  assert.equal((await client.getFeature(HERE)).name, "feature 3");
}

const encoder = new TextEncoder();

/** An HTTP/1.1 WebSocket upgrade to `method`, with `headers` added. */
function upgrade(method: string, headers: string): string {
  return `GET /routeguide.RouteGuide/${method} HTTP/1.1\r\nHost: x\r\n` +
    "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
    `Sec-WebSocket-Version: 13\r\n${headers}\r\n`;
}

Deno.test("bodies that do not parse, wrong content types or methods, messages over the limit: each its status", async () => {
  await using ports = await startBothPorts(FEATURES);
  const url = `${ports.web.url}/routeguide.RouteGuide/GetFeature`;
  const post = (type: string | undefined, body: BodyInit) =>
    fetch(url, {
      method: "POST",
      headers: type ? { "content-type": type } : {},
      body,
    });
  const answer = async (response: Response) => ({
    status: response.status,
    body: await response.text(),
  });
  assert.deepEqual(await answer(await post("application/json", "{not json")), {
    status: 400,
    body:
      `{"code":"invalid_argument","message":"cannot decode message routeguide.Point from JSON: Expected property name or '}' in JSON at position 1 (line 1 column 2)"}`,
  });
  // As on the gRPC port (and in grpc-go), a message that does not decode
  // is INTERNAL: connect-es's choice, kept.
  assert.deepEqual(
    await answer(
      await post("application/proto", new Uint8Array([0xff, 0xff, 0xff])),
    ),
    {
      status: 500,
      body: `{"code":"internal","message":"parse binary: premature EOF"}`,
    },
  );
  assert.deepEqual(
    await answer(await post("application/proto", new Uint8Array(70_000))),
    {
      status: 429,
      body:
        `{"code":"resource_exhausted","message":"message size 70000 is larger than configured readMaxBytes 65536"}`,
    },
  );
  for (const type of ["text/plain", undefined]) {
    assert.deepEqual(await answer(await post(type, "x")), {
      status: 415,
      body: "",
    });
  }
  assert.equal((await answer(await fetch(url))).status, 405);
  const elsewhere = await fetch(`${ports.web.url}/routeguide.RouteGuide/Nope`, {
    method: "POST",
  });
  assert.deepEqual(await answer(elsewhere), {
    status: 404,
    body: "not found\n",
  });
  // gRPC-Web says it in its trailers: a cut envelope is INVALID_ARGUMENT.
  const cut = await post(
    "application/grpc-web+proto",
    new Uint8Array([0, 0, 0, 0, 30, 1]),
  );
  assert.match(
    await cut.text(),
    /grpc-message: protocol%20error%3A%20incomplete%20envelope\r\ngrpc-status: 3\r\n$/,
  );
  await assertServing(ports.web.url);
});

Deno.test("invalid coordinates are INVALID_ARGUMENT naming the field, over every transport", async () => {
  await using ports = await startBothPorts(FEATURES);
  for (const [name, transport] of transports(ports.web.url)) {
    const client = createClient(es.RouteGuide, transport);
    const error = await rejection(
      client.getFeature({ latitude: 900_000_001, longitude: 0 }),
    );
    assert.equal(error.code, Code.InvalidArgument, name);
    assert.equal(
      error.rawMessage,
      "point.latitude 900000001 is outside +-90 degrees (+-900000000 E7)",
      name,
    );
    const list = await rejection(
      Array.fromAsync(client.listFeatures({ lo: HERE })),
    );
    assert.equal(list.code, Code.InvalidArgument, name);
    assert.equal(list.rawMessage, "rectangle.hi is missing", name);
  }
  await assertServing(ports.web.url);
});

Deno.test("a missing or wrong token is UNAUTHENTICATED on Connect, gRPC-Web and the WebSocket", async () => {
  const token = "s3cret-token";
  await using ports = await startBothPorts(FEATURES, { token });
  const url = ports.web.url;
  for (const authorization of [undefined, "Bearer wrong", `Basic ${token}`]) {
    for (const [name, transport] of transports(url)) {
      const client = createClient(es.RouteGuide, transport);
      const headers = authorization ? { authorization } : undefined;
      const error = await rejection(client.getFeature(HERE, { headers }));
      assert.equal(
        error.code,
        Code.Unauthenticated,
        `${name} ${authorization}`,
      );
      assert.equal(
        error.rawMessage,
        "missing or wrong bearer token in the authorization header",
      );
    }
  }
  const client = createClient(
    es.RouteGuide,
    connectWeb.createGrpcWebTransport({ baseUrl: url }),
  );
  const headers = { authorization: `Bearer ${token}` };
  assert.equal((await client.getFeature(HERE, { headers })).name, "feature 3");

  const base64url = (text: string) =>
    btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  const point = toBinary(es.PointSchema, create(es.PointSchema, HERE));
  for (const bearer of [[], [`bearer.${base64url("wrong")}`], ["bearer.!"]]) {
    const refused = await webSocketCall(url, "RecordRoute", [point, "end"], [
      "routeguide.v1",
      ...bearer,
    ]);
    assert.deepEqual(
      { code: refused.code, answers: refused.answers.length },
      { code: 4016, answers: 0 },
    );
    assert.equal(
      refused.reason,
      "missing or wrong bearer token in the bearer.<base64url(token)> subprotocol",
    );
  }
  const allowed = await webSocketCall(url, "RecordRoute", [point, "end"], [
    "routeguide.v1",
    `bearer.${base64url(token)}`,
  ]);
  assert.deepEqual(
    { code: allowed.code, answers: allowed.answers.length },
    { code: 1000, answers: 1 },
  );
});

Deno.test("a WebSocket sending garbage, a stray text message or too large a message ends with 4003 or 4008", async () => {
  await using ports = await startBothPorts(FEATURES);
  const url = ports.web.url;
  const cases: [Uint8Array | string, number, string][] = [
    [
      new Uint8Array([0xff, 0xff, 0xff]),
      4003,
      "message does not decode as routeguide.RouteNote: premature EOF",
    ],
    ["hello", 4003, `the only text message is 'end', got "hello"`],
    [
      new Uint8Array(70_000),
      4008,
      "message of 70000 bytes is larger than the limit, 65536",
    ],
    [
      toBinary(
        es.RouteNoteSchema,
        create(es.RouteNoteSchema, { message: "x" }),
      ),
      4003,
      "note.location is missing",
    ],
  ];
  for (const [message, code, reason] of cases) {
    const ended = await webSocketCall(url, "RouteChat", [message, "end"]);
    assert.deepEqual({ code: ended.code, reason: ended.reason }, {
      code,
      reason,
    });
  }
  // No subprotocol, or a method that is not streamed from the browser:
  // the upgrade is refused.
  const { hostname, port } = new URL(url);
  for (
    const [method, protocol] of [
      ["RouteChat", ""],
      ["GetFeature", "Sec-WebSocket-Protocol: routeguide.v1\r\n"],
    ]
  ) {
    const socket = await Deno.connect({ hostname, port: Number(port) });
    await socket.write(encoder.encode(upgrade(method, protocol)));
    const reader = socket.readable.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /^HTTP\/1\.1 400 /, method);
    await reader.cancel();
  }
  await assertServing(url);
});

/** A client-to-server WebSocket frame: binary, final, masked (zero mask). */
function frame(payload: Uint8Array): Uint8Array {
  const length = payload.length;
  const header = length < 126
    ? [0x82, 0x80 | length]
    : [0x82, 0x80 | 126, length >> 8, length & 0xff];
  return new Uint8Array([...header, 0, 0, 0, 0, ...payload]);
}

/**
 * Reads a server's bytes (the HTTP answer, then frames) up to its close
 * frame: its code and reason.
 */
async function closeFrameOf(
  readable: ReadableStream<Uint8Array>,
): Promise<{ code: number; reason: string }> {
  let bytes = new Uint8Array(1 << 20);
  let length = 0;
  let at = -1; // where the next frame starts, once past the HTTP answer
  for await (const chunk of readable) {
    if (length + chunk.length > bytes.length) {
      const larger = new Uint8Array(2 * (length + chunk.length));
      larger.set(bytes.subarray(0, length));
      bytes = larger;
    }
    bytes.set(chunk, length);
    length += chunk.length;
    if (at < 0) {
      const text = new TextDecoder("latin1").decode(bytes.subarray(0, length));
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) continue;
      at = end + 4;
    }
    while (at + 4 <= length) {
      const opcode = bytes[at] & 0x0f;
      let size = bytes[at + 1] & 0x7f;
      let start = at + 2;
      if (size === 126) {
        size = (bytes[at + 2] << 8) | bytes[at + 3];
        start = at + 4;
      } else if (size === 127) {
        if (at + 10 > length) break;
        size = Number(new DataView(bytes.buffer, at + 2, 8).getBigUint64(0));
        start = at + 10;
      }
      if (start + size > length) break;
      if (opcode === 0x8) {
        return {
          code: (bytes[start] << 8) | bytes[start + 1],
          reason: new TextDecoder().decode(
            bytes.subarray(start + 2, start + size),
          ),
        };
      }
      at = start + size;
    }
  }
  throw new Error("the server sent no close frame");
}

Deno.test("a WebSocket client that never reads its answers ends with 4008, the answers held bounded", async () => {
  const ended = Promise.withResolvers<Record<string, unknown>>();
  const logger = createLogger({
    format: "json",
    write(line) {
      const fields = JSON.parse(line);
      if (fields.method === "/routeguide.RouteGuide/RouteChat") {
        ended.resolve(fields);
      }
    },
  });
  await using ports = await startBothPorts(FEATURES, { logger });
  const { hostname, port } = new URL(ports.web.url);
  const socket = await Deno.connect({ hostname, port: Number(port) });
  await socket.write(encoder.encode(
    upgrade("RouteChat", "Sec-WebSocket-Protocol: routeguide.v1\r\n"),
  ));
  // Notes of 1,000 bytes at one place: from the 100th on, each brings back
  // the 100 kept there, ~100 KB of answers per note, none of them read.
  const note = frame(toBinary(
    es.RouteNoteSchema,
    create(es.RouteNoteSchema, { location: HERE, message: "x".repeat(1000) }),
  ));
  const NOTES = 400;
  for (let i = 0; i < NOTES; i++) await socket.write(note);
  const line = await ended.promise;
  assert.equal(line.code, "RESOURCE_EXHAUSTED");
  assert.equal(line.details, "the client is not reading its answers");
  // What the server handed the socket: the kernel's buffers and one
  // connection window, far below what the notes asked for.
  let asked = 0;
  for (let i = 0; i < NOTES; i++) asked += Math.min(i, 100);
  assert.ok(Number(line.out) < asked / 2, `${line.out} of ${asked} answers`);
  // Now read: what was held arrives, then the close frame.
  assert.deepEqual(await closeFrameOf(socket.readable), {
    code: 4008,
    reason: "the client is not reading its answers",
  });
  await assertServing(ports.web.url);
});

Deno.test("a binary Connect body sent without its length is read up to the limit, then refused as connect-es refuses it", async () => {
  await using ports = await startBothPorts(FEATURES);
  const url = `${ports.web.url}/routeguide.RouteGuide/GetFeature`;
  // A stream body: fetch sends it chunked, with no content-length.
  const streamed = (bytes: Uint8Array<ArrayBuffer>) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 1000) {
          controller.enqueue(bytes.subarray(at, at + 1000));
        }
        controller.close();
      },
    });
  const post = async (body: Uint8Array<ArrayBuffer>, length: boolean) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: length ? body : streamed(body),
    });
    return { status: response.status, body: await response.text() };
  };
  const point = toBinary(
    es.PointSchema,
    create(es.PointSchema, HERE),
  ) as Uint8Array<ArrayBuffer>;
  assert.deepEqual(await post(point, false), await post(point, true));
  const large = new Uint8Array(70_000);
  assert.deepEqual(await post(large, false), {
    status: 429,
    body:
      `{"code":"resource_exhausted","message":"message size is larger than configured readMaxBytes 65536"}`,
  });
  await assertServing(ports.web.url);
});
