/**
 * The web port against clients we did not write: connect-es's own clients
 * (Connect and gRPC-Web, binary and JSON, over fetch's HTTP/1.1 and over
 * h2c), Deno's WebSocket, `buf curl` and `curl`. Every answer is compared
 * with what our gRPC client gets from the gRPC port for the same input:
 * both ports serve one handler object.
 */
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { Feature, Point, RouteNote } from "../lib/domain/types.ts";
import * as es from "../lib/gen/es/route_guide_pb.ts";
import {
  h2Transports,
  startBothPorts,
  transports,
  webSocketCall,
} from "./_web_helpers.ts";
import { createLogger } from "../lib/grpc/log.ts";
import { capturingLogger, gridFeatures, runCli } from "./_prod_helpers.ts";
import {
  buf,
  bufMessages,
  collect,
  freePort,
  startServerProcess,
} from "./helpers.ts";
import {
  hasRedis,
  RedisProcess,
  ServerProcess,
  skipped,
  until,
} from "./scale_helpers.ts";

/** `items` as a request stream. */
async function* each<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

/** A protobuf-es message as the domain's plain object. */
function plain(feature: es.Feature): Feature {
  const { location } = feature;
  return {
    name: feature.name,
    location: location
      ? { latitude: location.latitude, longitude: location.longitude }
      : null,
  };
}

const FEATURES = gridFeatures(300);
const HIT: Point = FEATURES[42].location!;
const MISS: Point = { latitude: 1, longitude: 1 };
const AREA = {
  lo: { latitude: 500, longitude: 0 },
  hi: { latitude: 25_000, longitude: 0 },
};

Deno.test("every transport gets GetFeature and ListFeatures answers equal to the gRPC port's", async () => {
  await using ports = await startBothPorts(FEATURES);
  const expected = {
    hit: await ports.client.getFeature(HIT),
    miss: await ports.client.getFeature(MISS),
    area: await collect(ports.client.listFeatures(AREA)),
  };
  assert.equal(expected.area.length, 246);
  for (const [name, transport] of transports(ports.web.url)) {
    const client = createClient(es.RouteGuide, transport);
    assert.deepEqual(plain(await client.getFeature(HIT)), expected.hit, name);
    assert.deepEqual(plain(await client.getFeature(MISS)), expected.miss, name);
    const area = await collect(client.listFeatures(AREA));
    assert.deepEqual(area.map(plain), expected.area, name);
  }
});

/**
 * Posts each body to `method` with `type`, with the right token and a
 * wrong one, and asserts the answers equal with and without a timeout: a
 * timeout is one thing the fast paths leave to connect-es's router.
 */
async function assertFastPathAlike(
  method: string,
  type: string,
  bodies: Uint8Array<ArrayBuffer>[],
): Promise<void> {
  const token = "t0ken";
  await using ports = await startBothPorts(FEATURES, { token });
  const url = `${ports.web.url}/routeguide.RouteGuide/${method}`;
  const timeouts: Record<string, string>[] = [
    {},
    { "connect-timeout-ms": "10000" },
  ];
  for (const body of bodies) {
    for (const authorization of [`Bearer ${token}`, "Bearer nope"]) {
      const answers = [];
      for (const timeout of timeouts) {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": type, authorization, ...timeout },
          body,
        });
        answers.push({
          status: response.status,
          type: response.headers.get("content-type"),
          body: [...new Uint8Array(await response.arrayBuffer())],
        });
      }
      assert.deepEqual(answers[0], answers[1], `${method} ${authorization}`);
    }
  }
}

Deno.test("binary Connect GetFeature answers alike on the fast path and through connect-es's router", async () => {
  const point = (p: Point) =>
    toBinary(es.PointSchema, create(es.PointSchema, p)) as Uint8Array<
      ArrayBuffer
    >;
  await assertFastPathAlike("GetFeature", "application/proto", [
    point(HIT),
    point(MISS),
    point({ latitude: -1e9, longitude: 0 }),
  ]);
});

Deno.test("binary Connect ListFeatures answers alike on the fast path and through connect-es's router", async () => {
  const rectangle = (r: { lo?: Point; hi?: Point }) => {
    const bytes = toBinary(es.RectangleSchema, create(es.RectangleSchema, r));
    const body = new Uint8Array(5 + bytes.length);
    new DataView(body.buffer).setUint32(1, bytes.length);
    body.set(bytes, 5);
    return body;
  };
  const world = {
    lo: { latitude: 0, longitude: 0 },
    hi: { latitude: 1e6, longitude: 0 },
  };
  await assertFastPathAlike("ListFeatures", "application/connect+proto", [
    rectangle(AREA),
    rectangle(world),
    rectangle({ lo: HIT }),
  ]);
});

Deno.test("RecordRoute and RouteChat stream over h2c as over gRPC, on one note board", async () => {
  await using ports = await startBothPorts(FEATURES);
  const route = FEATURES.slice(0, 30).map((f) => f.location!);
  const summary = await ports.client.recordRoute(route);
  const here = { latitude: 7, longitude: 7 };
  const note = (message: string): RouteNote => ({ location: here, message });
  await collect(ports.client.routeChat([note("from gRPC")]));
  let seen = ["from gRPC"];
  for (const [name, transport] of h2Transports(ports.web.url)) {
    const client = createClient(es.RouteGuide, transport);
    const web = await client.recordRoute(each(route));
    assert.deepEqual(
      { ...web, $typeName: undefined },
      { ...summary, $typeName: undefined },
      name,
    );
    const answers = await collect(
      client.routeChat(each([{ location: here, message: name }])),
    );
    assert.deepEqual(answers.map((n) => n.message), seen, name);
    seen = [...seen, name];
  }
  const last = await collect(ports.client.routeChat([note("last")]));
  assert.deepEqual(last.map((n) => n.message), seen);
});

Deno.test("WebSocket RecordRoute and RouteChat answer as gRPC does, with notes shared between the ports", async () => {
  await using ports = await startBothPorts(FEATURES);
  const route = FEATURES.slice(10, 40).map((f) => f.location!);
  const point = (p: Point) =>
    toBinary(es.PointSchema, create(es.PointSchema, p));
  const recorded = await webSocketCall(ports.web.url, "RecordRoute", [
    ...route.map(point),
    "end",
  ]);
  assert.equal(recorded.code, 1000, recorded.reason);
  assert.equal(recorded.answers.length, 1);
  const summary = fromBinary(es.RouteSummarySchema, recorded.answers[0]);
  assert.deepEqual(
    { ...summary, $typeName: undefined },
    { ...await ports.client.recordRoute(route), $typeName: undefined },
  );

  const here = { latitude: 9, longitude: 9 };
  await collect(ports.client.routeChat([{ location: here, message: "grpc" }]));
  const note = (message: string) =>
    toBinary(
      es.RouteNoteSchema,
      create(es.RouteNoteSchema, { location: here, message }),
    );
  const chat = await webSocketCall(ports.web.url, "RouteChat", [
    note("ws 1"),
    note("ws 2"),
    "end",
  ]);
  assert.equal(chat.code, 1000, chat.reason);
  assert.deepEqual(
    chat.answers.map((a) => fromBinary(es.RouteNoteSchema, a).message),
    ["grpc", "grpc", "ws 1"],
  );
  assert.deepEqual(chat.texts, ["answers", "answered", "answers", "answered"]);
  const after = await collect(
    ports.client.routeChat([{ location: here, message: "grpc again" }]),
  );
  assert.deepEqual(after.map((n) => n.message), ["grpc", "ws 1", "ws 2"]);
});

/**
 * A RouteChat call left open: `say` sends a note, `hears` waits for what
 * came back (answers and live notes, in order; WebSocket's `answered` as
 * "|answered"). A call that fails makes `hears` fail.
 */
/** A note as every client takes it. */
type Said = { location: Point; message: string };

class OpenChat {
  readonly heard: string[] = [];
  readonly done: Promise<void>;
  #notes: Said[] = [];
  #ended = false;
  #error: unknown;
  #over = false;
  #more = () => {};
  #changed = () => {};

  constructor(
    call: (requests: AsyncIterable<Said>) => AsyncIterable<{ message: string }>,
  ) {
    this.done = (async () => {
      for await (const n of call(this.#requests())) this.#hear(n.message);
    })().catch((error) => {
      this.#error = error;
      throw error;
    }).finally(() => {
      this.#over = true;
      this.#changed();
    });
  }

  /** A chat over the web port's WebSocket. */
  static webSocket(url: string): OpenChat {
    return new OpenChat((requests) => {
      const socket = new WebSocket(
        `${url.replace(/^http/, "ws")}/routeguide.RouteGuide/RouteChat`,
        ["routeguide.v1"],
      );
      socket.binaryType = "arraybuffer";
      socket.onopen = async () => {
        for await (const n of requests) {
          socket.send(
            toBinary(es.RouteNoteSchema, create(es.RouteNoteSchema, n)),
          );
        }
        socket.send("end");
      };
      return {
        async *[Symbol.asyncIterator]() {
          const messages: (string | ArrayBuffer)[] = [];
          let wake = () => {};
          let closed: CloseEvent | undefined;
          socket.onmessage = (event) => {
            messages.push(event.data);
            wake();
          };
          socket.onclose = (event) => {
            closed = event;
            wake();
          };
          for (;;) {
            while (messages.length > 0) {
              const data = messages.shift()!;
              yield typeof data === "string"
                ? { message: `|${data}` }
                : fromBinary(es.RouteNoteSchema, new Uint8Array(data));
            }
            if (closed) {
              if (closed.code !== 1000) throw new Error(closed.reason);
              return;
            }
            await new Promise<void>((resolve) => wake = resolve);
          }
        },
      };
    });
  }

  say(note: Said): void {
    this.#notes.push(note);
    this.#more();
  }

  end(): void {
    this.#ended = true;
    this.#more();
  }

  /** The first `count` messages heard, once they are in. */
  async hears(count: number): Promise<string[]> {
    while (this.heard.length < count) {
      if (this.#error !== undefined) throw this.#error;
      if (this.#over) throw new Error(`ended after ${this.heard.length}`);
      await new Promise<void>((resolve) => this.#changed = resolve);
    }
    return this.heard.slice(0, count);
  }

  #hear(message: string): void {
    this.heard.push(message);
    this.#changed();
  }

  async *#requests(): AsyncGenerator<Said> {
    for (;;) {
      while (this.#notes.length > 0) yield this.#notes.shift()!;
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#more = resolve);
    }
  }
}

Deno.test("RouteChat notes reach open chats live on every transport: gRPC, Connect and gRPC-Web over h2c, WebSocket", async () => {
  await using ports = await startBothPorts(FEATURES);
  const here = { latitude: 11, longitude: 11 };
  const within = { timeoutMs: 20_000 };
  const chats: [string, OpenChat][] = [
    ["WebSocket", OpenChat.webSocket(ports.web.url)],
    ["gRPC", new OpenChat((r) => ports.client.routeChat(r, within))],
    ...h2Transports(ports.web.url).map(([name, transport]): [
      string,
      OpenChat,
    ] => [
      name,
      new OpenChat((r) =>
        createClient(es.RouteGuide, transport).routeChat(r, within)
      ),
    ]),
  ];
  const names = chats.map(([name]) => name);
  // Each writes once the one before has its answer (so its note is
  // stored): each then hears the notes before its own as answers, and
  // every later one live. The WebSocket, first, marks its (empty) answer.
  for (const [i, [name, chat]] of chats.entries()) {
    chat.say({ location: here, message: name });
    await chat.hears(name === "WebSocket" ? 2 : i);
  }
  for (const [name, chat] of chats) {
    const others = names.filter((other) => other !== name);
    if (name === "WebSocket") others.unshift("|answers", "|answered");
    assert.deepEqual(await chat.hears(others.length), others, name);
    chat.end();
    await chat.done;
    assert.deepEqual(chat.heard, others, name);
  }
});

/** `command args`'s stdout; the test fails if the command does. */
async function stdoutOf(command: string, ...args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command(command, { args })
    .output();
  assert.ok(success, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout);
}

Deno.test("buf curl calls every method over Connect and gRPC-Web; curl posts JSON to GetFeature", async () => {
  await using ports = await startBothPorts(FEATURES);
  const url = (method: string) =>
    `${ports.web.url}/routeguide.RouteGuide/${method}`;
  const hit = { name: "feature 42", location: { latitude: 4200 } };
  for (const protocol of ["connect", "grpcweb"]) {
    const call = (method: string, data: unknown[]) =>
      buf(
        ...["curl", "--protocol", protocol, "--http2-prior-knowledge"],
        ...["--schema", "protos/route_guide.proto"],
        ...["-d", data.map((d) => JSON.stringify(d)).join("\n"), url(method)],
      ).then(bufMessages);
    assert.deepEqual(await call("GetFeature", [HIT]), [hit], protocol);
    const listed = await call("ListFeatures", [{
      lo: { latitude: 4100 },
      hi: { latitude: 4200 },
    }]);
    assert.deepEqual(listed, [
      { name: "feature 41", location: { latitude: 4100 } },
      hit,
    ], protocol);
    const summary = await call("RecordRoute", [HIT, HIT]);
    assert.deepEqual(summary, [{ pointCount: 2, featureCount: 2 }], protocol);
    const here = { latitude: 3, longitude: 3 };
    const chat = await call("RouteChat", [{
      location: here,
      message: protocol,
    }]);
    assert.equal(chat.length, protocol === "connect" ? 0 : 1, protocol);
  }
  const curl = await stdoutOf(
    "curl",
    ...["-sS", "-H", "content-type: application/json"],
    ...["-d", JSON.stringify(HIT), url("GetFeature")],
  );
  assert.deepEqual(JSON.parse(curl), hit);
});

Deno.test("the web port's access log lines read as the gRPC port's", async () => {
  const { logger, lines } = capturingLogger();
  await using ports = await startBothPorts(FEATURES, { logger });
  await ports.client.getFeature(HIT);
  const grpcLine = lines.pop()!;
  const [[, transport]] = transports(ports.web.url);
  const client = createClient(es.RouteGuide, transport);
  await client.getFeature(HIT);
  const webLine = lines.pop()!;
  assert.deepEqual(Object.keys(webLine), Object.keys(grpcLine));
  assert.deepEqual(
    { ...webLine, time: 0, ms: 0, peer: "" },
    { ...grpcLine, time: 0, ms: 0, peer: "" },
  );
  assert.match(String(webLine.peer), /^127\.0\.0\.1:\d+$/);
  await collect(client.listFeatures(AREA));
  assert.deepEqual(
    { ...lines.pop(), time: 0, ms: 0, peer: "" },
    {
      level: "info",
      time: 0,
      method: "/routeguide.RouteGuide/ListFeatures",
      peer: "",
      code: "OK",
      ms: 0,
      in: 1,
      out: 246,
      msg: "call",
    },
  );
});

Deno.test("server.ts names both ports in its listening line and serves the web one; --no-web turns it off", async () => {
  await using server = await startServerProcess(["--db", await db()]);
  const web = /web=(http:\/\/\S+)/.exec(server.firstLine)?.[1];
  assert.ok(web, server.firstLine);
  const client = createClient(es.RouteGuide, transports(web)[0][1]);
  assert.equal((await client.getFeature(HIT)).name, "feature 42");
  await using off = await startServerProcess(["--db", await db(), "--no-web"]);
  assert.match(off.firstLine, / web=off$/);
});

Deno.test("server.ts says in one line when its web port cannot be bound, or cannot serve mTLS", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { port } = taken.addr as Deno.NetAddr;
    const run = await runCli("server.ts", [
      ...["--host", "127.0.0.1", "--port", "0", "--web-port", String(port)],
      ...["--db", await db()],
    ]);
    assert.deepEqual(
      { code: run.code, stdout: run.stdout, stderr: run.stderr },
      {
        code: 2,
        stdout: "",
        stderr:
          `routeguide server: cannot listen on 127.0.0.1:${port} (--web-port): Address already in use (os error 98)\n`,
      },
    );
  } finally {
    taken.close();
  }
  const mtls = await runCli("server.ts", [
    ...["--tls-cert", "a.crt", "--tls-key", "a.key", "--tls-client-ca", "ca"],
    ...["--web-port", "0"],
  ]);
  assert.equal(mtls.code, 2);
  assert.equal(
    mtls.stderr,
    "routeguide server: --web-port cannot serve --tls-client-ca: the web port (Deno.serve) cannot verify client certificates\n",
  );
});

async function db(): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(FEATURES));
  return path;
}

/** The pids listening on TCP `port`, from `ss`. */
async function listeners(port: number): Promise<number[]> {
  const out = await stdoutOf("ss", "-ltnpH", `sport = :${port}`);
  return [...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])).sort();
}

Deno.test({
  name: "--workers 2 bind the one --web-port in every worker and serve it" +
    skipped("redis-server"),
  ignore: !hasRedis,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "routeguide-web-" });
    const redis = await RedisProcess.start(dir);
    const webPort = freePort();
    const server = await ServerProcess.start([
      ...["--workers", "2", "--notes", redis.url(), "--db", await db()],
      ...["--web-port", String(webPort)],
    ]);
    try {
      const url = `http://127.0.0.1:${webPort}`;
      assert.match(
        server.stdout.lines.join("\n"),
        new RegExp(` web=${url}$`, "m"),
      );
      const workers = await stdoutOf("pgrep", "-P", String(server.process.pid));
      const pids = workers.trim().split("\n").map(Number).sort();
      assert.equal(pids.length, 2);
      // Each worker binds it once its gRPC port is up.
      await until(
        "both workers on the web port",
        async () =>
          String(await listeners(webPort)) === String(pids) ? true : undefined,
      );
      for (const [name, transport] of transports(url)) {
        const client = createClient(es.RouteGuide, transport);
        assert.equal((await client.getFeature(HIT)).name, "feature 42", name);
      }
    } finally {
      await server.stop();
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a ListFeatures stream the client stops mid-way is logged CANCELLED by the client, on the fast path and through connect-es", async () => {
  let logged = Promise.withResolvers<Record<string, unknown>>();
  const logger = createLogger({
    format: "json",
    write(line) {
      const fields = JSON.parse(line);
      if (fields.method.endsWith("/ListFeatures")) logged.resolve(fields);
    },
  });
  await using ports = await startBothPorts(gridFeatures(100_000), { logger });
  const world = {
    lo: { latitude: 0, longitude: 0 },
    hi: { latitude: 900_000_000, longitude: 1_000_000 },
  };
  // Binary Connect takes the fast path; JSON goes through connect-es.
  for (const [name, transport] of transports(ports.web.url).slice(0, 2)) {
    logged = Promise.withResolvers();
    const client = createClient(es.RouteGuide, transport);
    const abort = new AbortController();
    let seen = 0;
    await assert.rejects(async () => {
      for await (
        const _ of client.listFeatures(world, { signal: abort.signal })
      ) {
        if (++seen === 10) abort.abort();
      }
    });
    const line = await logged.promise;
    assert.equal(line.code, "CANCELLED", name);
    assert.equal(line.details, "cancelled by the client", name);
    assert.ok(Number(line.out) < 100_000, `${name}: ${line.out} sent`);
  }
});

Deno.test("calls still running when the grace period runs out end UNAVAILABLE, as on the gRPC port", async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    format: "json",
    write: (line) => lines.push(JSON.parse(line)),
  });
  const ports = await startBothPorts(gridFeatures(100_000), { logger });
  try {
    const socket = new WebSocket(
      `${ports.web.url.replace("http", "ws")}/routeguide.RouteGuide/RouteChat`,
      ["routeguide.v1"],
    );
    const closed = new Promise<CloseEvent>((resolve) =>
      socket.onclose = resolve
    );
    await new Promise((resolve) => socket.onopen = resolve);
    const client = createClient(es.RouteGuide, transports(ports.web.url)[0][1]);
    const world = {
      lo: { latitude: 0, longitude: 0 },
      hi: { latitude: 900_000_000, longitude: 1_000_000 },
    };
    const features = client.listFeatures(world)[Symbol.asyncIterator]();
    await features.next(); // then not read until the server has closed
    await ports.web.close(100);
    const { code, reason } = await closed;
    assert.deepEqual({ code, reason }, {
      code: 4014,
      reason: "the server shut down before the call finished",
    });
    const error = await (async () => {
      for (let r = await features.next(); !r.done; r = await features.next());
    })().then(() => undefined, (error) => error);
    assert.ok(error instanceof ConnectError, String(error));
    assert.equal(error.code, Code.Unavailable);
    assert.equal(
      error.rawMessage,
      "the server shut down before the call finished",
    );
    const ended = lines.filter((line) => line.msg === "call")
      .map((line) => [line.method, line.code, line.details]);
    assert.deepEqual(ended.sort(), [
      [
        "/routeguide.RouteGuide/ListFeatures",
        "UNAVAILABLE",
        "the server shut down before the call finished",
      ],
      [
        "/routeguide.RouteGuide/RouteChat",
        "UNAVAILABLE",
        "the server shut down before the call finished",
      ],
    ]);
  } finally {
    await ports[Symbol.asyncDispose]();
  }
});
