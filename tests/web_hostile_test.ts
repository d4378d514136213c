/**
 * Bad input on the web port: bodies that do not parse, wrong content
 * types and methods, messages over the limit, invalid coordinates, a
 * missing or wrong token, WebSockets that send garbage or never read their
 * answers. Each gets its Connect / gRPC-Web status (or WebSocket close
 * code), and the server keeps answering. And the limits it shares with the
 * gRPC port: calls at once and answers held unsent count on both ports
 * (one budget), and server.ts stays bounded in memory under
 * clients of the web port that never read.
 */
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import * as connectWeb from "@connectrpc/connect-web";
import { createLogger, type Logger } from "../lib/grpc/log.ts";
import * as es from "../lib/gen/es/route_guide_pb.ts";
import {
  FeatureDatabase,
  MemoryNoteBoard,
  RouteGuideClient,
  RouteGuideError,
  startServer,
  Status,
} from "../mod.ts";
import { createRouteGuide } from "../lib/domain/service.ts";
import type { Feature } from "../lib/domain/types.ts";
import type { ServerLimits } from "../lib/grpc/limits.ts";
import { startWebServer } from "../lib/web/server.ts";
import { rssMb } from "../bench/cpu.ts";
import { gridFeatures, WORLD } from "./_prod_helpers.ts";
import { startServerProcess } from "./helpers.ts";
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
  assert.match((await client.getFeature(HERE)).name, /^feature 3x*$/);
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
      "message does not decode as routeguide.RouteNote: protobuf message is truncated",
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

/**
 * Both ports over one RouteGuide and one budget, as server.ts
 * runs them.
 */
async function sharedPorts(
  features: Feature[],
  limits: Partial<ServerLimits>,
  logger?: Logger,
) {
  const handlers = createRouteGuide({
    features: new FeatureDatabase(features),
    notes: new MemoryNoteBoard(),
  });
  const common = { host: "127.0.0.1", port: 0, handlers, limits, logger };
  const grpc = await startServer(common);
  const web = await startWebServer({ ...common, shareLimitsWith: grpc });
  return {
    grpc,
    web,
    async [Symbol.asyncDispose]() {
      await Promise.all([grpc.close(100), web.close(100)]);
    },
  };
}

/** Reads until the server ends the connection (closed or reset). */
async function bytesUntilEnd(
  readable: ReadableStream<Uint8Array>,
): Promise<number> {
  let read = 0;
  try {
    for await (const chunk of readable) read += chunk.length;
  } catch (error) {
    if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
  }
  return read;
}

/** A logger that resolves the first access line for `method`. */
function accessLineOf(method: string) {
  const line = Promise.withResolvers<Record<string, unknown>>();
  const logger = createLogger({
    format: "json",
    write(text) {
      const fields = JSON.parse(text);
      if (fields.method === `/routeguide.RouteGuide/${method}`) {
        line.resolve(fields);
      }
    },
  });
  return { logger, line: line.promise };
}

const note = (message: string) =>
  toBinary(
    es.RouteNoteSchema,
    create(es.RouteNoteSchema, { location: HERE, message }),
  );

Deno.test("--max-concurrent-calls counts the calls of both ports: past it, each transport says RESOURCE_EXHAUSTED", async () => {
  await using ports = await sharedPorts(FEATURES, { maxConcurrentCalls: 2 });
  const wsUrl = `${
    ports.web.url.replace(/^http/, "ws")
  }/routeguide.RouteGuide/RouteChat`;
  // One call on the web port: a RouteChat WebSocket, its note left at HERE.
  const socket = new WebSocket(wsUrl, ["routeguide.v1"]);
  const closed = new Promise<CloseEvent>((resolve) => socket.onclose = resolve);
  await new Promise((resolve) => socket.onopen = resolve);
  socket.send(note("from the web port"));
  // One on the gRPC port: a RouteChat that gets that note back, so both
  // are running.
  const client = new RouteGuideClient(ports.grpc.address);
  const last = Promise.withResolvers<void>();
  async function* notes() {
    yield { location: HERE, message: "from the gRPC port" };
    await last.promise;
  }
  const chat = client.routeChat(notes())[Symbol.asyncIterator]();
  for (;;) {
    const next = await chat.next();
    if (next.value?.message === "from the web port") break;
    // The web port's note may not be on the board yet: ask again.
    assert.ok(!next.done, "the gRPC chat got the web port's note back");
  }
  const busy = "the server is already running 2 calls; retry later";
  for (const [name, transport] of transports(ports.web.url)) {
    const error = await rejection(
      createClient(es.RouteGuide, transport).getFeature(HERE),
    );
    assert.deepEqual([error.code, error.rawMessage], [
      Code.ResourceExhausted,
      busy,
    ], name);
  }
  await assert.rejects(
    client.getFeature(HERE),
    (error) =>
      error instanceof RouteGuideError &&
      error.code === Status.RESOURCE_EXHAUSTED && error.message.includes(busy),
  );
  const refused = await webSocketCall(ports.web.url, "RouteChat", ["end"]);
  assert.deepEqual({ code: refused.code, reason: refused.reason }, {
    code: 4008,
    reason: busy,
  });
  // The WebSocket ends: its place is free for the next call.
  socket.send("end");
  assert.equal((await closed).code, 1000);
  await assertServing(ports.web.url);
  last.resolve();
  while (!(await chat.next()).done);
  client.close();
});

Deno.test("a WebSocket's unread answers count in the budget shared with the gRPC port: past it, it ends RESOURCE_EXHAUSTED", async () => {
  const { logger, line } = accessLineOf("RouteChat");
  // A window far above the budget: the budget, not the window, ends it.
  const window = 64 << 20;
  await using ports = await sharedPorts(FEATURES, {
    maxQueuedBytes: 100_000,
    connectionWindowBytes: window,
  }, logger);
  const { hostname, port } = new URL(ports.web.url);
  const socket = await Deno.connect({ hostname, port: Number(port) });
  await socket.write(encoder.encode(
    upgrade("RouteChat", "Sec-WebSocket-Protocol: routeguide.v1\r\n"),
  ));
  // From the 100th note on, each brings back the 100 kept at HERE: 40 MB
  // asked, never read; the kernel takes a few MB, Deno holds the rest.
  const one = frame(note("x".repeat(1000)));
  for (let i = 0; i < 400; i++) await socket.write(one);
  const ended = await line;
  assert.equal(ended.code, "RESOURCE_EXHAUSTED");
  assert.equal(ended.details, "the client is not reading its answers");
  assert.ok(Number(ended.out) * 1000 < window / 4, `${ended.out} answers`);
  // Closed with what it held unsent: the connection ends, reset.
  assert.ok(await bytesUntilEnd(socket.readable) < window / 4);
  await assertServing(ports.web.url);
});

for (
  const [name, type] of [
    ["the fast path", "application/connect+proto"],
    ["connect-es", "application/connect+json"],
  ]
) {
  Deno.test(`a ListFeatures stream left unread counts in the shared budget: past it, it is cut (${name})`, async () => {
    const { logger, line } = accessLineOf("ListFeatures");
    // 30,000 features of ~300 bytes: 9 MB, more than the kernel takes.
    const features = gridFeatures(30_000).map((f) => ({
      ...f,
      name: f.name.padEnd(300, "x"),
    }));
    await using ports = await sharedPorts(features, {
      maxQueuedBytes: 100_000,
    }, logger);
    const body = type.endsWith("json")
      ? encoder.encode(JSON.stringify(WORLD))
      : toBinary(
        es.RectangleSchema,
        create(es.RectangleSchema, { lo: WORLD.lo!, hi: WORLD.hi! }),
      );
    const envelope = new Uint8Array(5 + body.length);
    new DataView(envelope.buffer).setUint32(1, body.length);
    envelope.set(body, 5);
    const { hostname, port } = new URL(ports.web.url);
    const conn = await Deno.connect({ hostname, port: Number(port) });
    await conn.write(encoder.encode(
      "POST /routeguide.RouteGuide/ListFeatures HTTP/1.1\r\nHost: x\r\n" +
        `content-type: ${type}\r\ncontent-length: ${envelope.length}\r\n\r\n`,
    ));
    await conn.write(envelope);
    const cut = await line;
    assert.equal(cut.code, "RESOURCE_EXHAUSTED");
    assert.equal(cut.details, "the client is not reading its answers");
    assert.ok(Number(cut.out) < features.length, `${cut.out} features`);
    // What Deno held for it is dropped: the connection ends, short of
    // the answer's end.
    const read = await bytesUntilEnd(conn.readable);
    assert.ok(read < 300 * features.length, `${read} bytes read`);
    await assertServing(ports.web.url);
  });
}

Deno.test("clients of the web port that never read keep server.ts under 400 MB while GetFeature answers on both ports", async () => {
  await using server = await startServerProcess([]);
  (async () => { // a pipe left full would stop the server
    while (await server.nextLine() !== undefined);
  })();
  const web = new URL(server.firstLine.match(/web=(\S+)/)![1]);
  const open: Deno.TcpConn[] = [];
  const connect = async (bytes: Uint8Array) => {
    const conn = await Deno.connect({
      hostname: web.hostname,
      port: Number(web.port),
    });
    open.push(conn);
    await conn.write(bytes);
  };
  const rectangle = toBinary(
    es.RectangleSchema,
    create(es.RectangleSchema, { lo: WORLD.lo!, hi: WORLD.hi! }),
  );
  const list = new Uint8Array(5 + rectangle.length);
  new DataView(list.buffer).setUint32(1, rectangle.length);
  list.set(rectangle, 5);
  const post = encoder.encode(
    "POST /routeguide.RouteGuide/ListFeatures HTTP/1.1\r\nHost: x\r\n" +
      "content-type: application/connect+proto\r\n" +
      `content-length: ${list.length}\r\n\r\n`,
  );
  const notes = Array(150).fill(frame(note("x".repeat(1000))));
  const chat = encoder.encode(
    upgrade("RouteChat", "Sec-WebSocket-Protocol: routeguide.v1\r\n"),
  );
  const client = new RouteGuideClient(server.address);
  const webClient = createClient(
    es.RouteGuide,
    transports(web.origin)[0][1],
  );
  try {
    // Whole-world ListFeatures never read, and RouteChats to a full place
    // never read.
    for (let i = 0; i < 100; i++) {
      await connect(new Uint8Array([...post, ...list]));
    }
    for (let i = 0; i < 100; i++) {
      await connect(new Uint8Array([...chat, ...notes.flatMap((n) => [...n])]));
    }
    let most = 0;
    const slowest = { grpc: 0, web: 0 };
    for (let i = 0; i < 6; i++) {
      most = Math.max(most, await rssMb(server.child.pid));
      let start = performance.now();
      await client.getFeature(HERE, { timeoutMs: 10_000 });
      slowest.grpc = Math.max(slowest.grpc, performance.now() - start);
      start = performance.now();
      await webClient.getFeature(HERE, { timeoutMs: 10_000 });
      slowest.web = Math.max(slowest.web, performance.now() - start);
    }
    console.log(
      `max RSS ${most.toFixed(0)} MB, slowest GetFeature ${
        slowest.grpc.toFixed(0)
      } ms (gRPC port), ${slowest.web.toFixed(0)} ms (web port)`,
    );
    assert.ok(most < 400, `${most} MB`);
  } finally {
    client.close();
    for (const conn of open) conn.close();
  }
});
