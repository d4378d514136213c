/**
 * The access log: one line per call with method, peer, status, duration
 * and message counts; text and JSON; errors reach clients without stacks.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  createRouteGuide,
  FeatureDatabase,
  MemoryNoteBoard,
  RouteGuideClient,
  startServer,
  Status,
} from "../mod.ts";
import { accessLogInterceptor } from "../lib/grpc/access_log.ts";
import { createLogger } from "../lib/grpc/log.ts";
import { routeGuideServiceDefinition } from "../lib/grpc/proto.ts";
import { toGrpcImplementation } from "../lib/grpc/grpc_adapter.ts";
import {
  bindLoopback,
  REPO_ROOT,
  startServerProcess,
  writeDbFile,
} from "./helpers.ts";
import { capturingLogger, runCli, WORLD } from "./_prod_helpers.ts";

const here = { latitude: 1, longitude: 2 };
const there = { latitude: 3, longitude: 4 };

Deno.test("the access log has one line per call with method, peer, code, time and counts", async () => {
  const { logger, lines } = capturingLogger();
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    logger,
    features: new FeatureDatabase([
      { name: "Here", location: here },
      { name: "There", location: there },
    ]),
  });
  const client = new RouteGuideClient(server.address);
  try {
    await client.getFeature(here);
    await Array.fromAsync(client.listFeatures(WORLD));
    await client.recordRoute([here, there, here]);
    const note = { location: here, message: "hi" };
    await Array.fromAsync(client.routeChat([note, note, note]));
    await assert.rejects(
      client.getFeature({ latitude: 910_000_000, longitude: 0 }),
    );
  } finally {
    client.close();
    await server.close(0);
  }
  const calls = lines.filter((line) => line.msg === "call");
  assert.deepEqual(
    calls.map((
      { method, code, in: received, out },
    ) => [method, code, received, out]),
    [
      ["/routeguide.RouteGuide/GetFeature", "OK", 1, 1],
      ["/routeguide.RouteGuide/ListFeatures", "OK", 1, 2],
      ["/routeguide.RouteGuide/RecordRoute", "OK", 3, 1],
      ["/routeguide.RouteGuide/RouteChat", "OK", 3, 3],
      ["/routeguide.RouteGuide/GetFeature", "INVALID_ARGUMENT", 1, 0],
    ],
  );
  for (const call of calls) {
    assert.match(String(call.peer), /^127\.0\.0\.1:\d+$/);
    assert.equal(typeof call.ms, "number");
    assert.equal(call.level, "info");
  }
  assert.match(String(calls[4].details), /latitude 910000000/);
});

Deno.test("a call the client cancels is logged as CANCELLED", async () => {
  const { logger, lines } = capturingLogger();
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    logger,
    features: new FeatureDatabase([{ name: "Here", location: here }]),
  });
  const client = new RouteGuideClient(server.address);
  const controller = new AbortController();
  const logged = Promise.withResolvers<void>();
  async function* notes() {
    yield { location: here, message: "hi" };
    yield { location: here, message: "again" };
    await logged.promise;
  }
  try {
    await assert.rejects(
      (async () => {
        for await (
          const _ of client.routeChat(notes(), { signal: controller.signal })
        ) {
          controller.abort();
        }
      })(),
      (error: { code: number }) => error.code === Status.CANCELLED,
    );
  } finally {
    logged.resolve();
    client.close();
    await server.close(0);
  }
  const [call] = lines.filter((line) => line.msg === "call");
  assert.equal(call.code, "CANCELLED");
  assert.equal(call.in, 2);
  assert.equal(call.out, 1);
});

Deno.test("with accessLog false the server logs no calls, and still logs internal errors", async () => {
  const { logger, lines } = capturingLogger();
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    logger,
    accessLog: false,
    features: new FeatureDatabase([{ name: "Here", location: here }]),
    // A board that fails as a bug would: its error is internal.
    notes: {
      exchange: () => Promise.reject(new TypeError("board bug")),
      close: () => Promise.resolve(),
    },
  });
  const client = new RouteGuideClient(server.address);
  try {
    assert.equal((await client.getFeature(here)).name, "Here");
    await assert.rejects(
      Array.fromAsync(client.routeChat([{ location: here, message: "hi" }])),
      (error: { code: number }) => error.code === Status.INTERNAL,
    );
  } finally {
    client.close();
    await server.close(0);
  }
  assert.deepEqual(lines.filter((line) => line.msg === "call"), []);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].msg, "internal error");
  assert.match(String(lines[0].error), /TypeError: board bug/);
});

Deno.test("an unexpected error reaches the client as 'internal error', the stack only the log", async () => {
  const { logger, lines } = capturingLogger();
  const handlers = createRouteGuide({
    features: new FeatureDatabase([]),
    notes: new MemoryNoteBoard(),
  });
  const server = new grpc.Server({
    interceptors: [accessLogInterceptor(logger)],
  });
  server.addService(
    routeGuideServiceDefinition,
    toGrpcImplementation(
      {
        ...handlers,
        getFeature() {
          throw new TypeError("secret internals at /srv/app.ts:42");
        },
      },
      (method, error) =>
        logger.error("internal error", {
          method,
          error: (error as Error).stack,
        }),
    ),
  );
  const address = await bindLoopback(server);
  const client = new RouteGuideClient(address);
  try {
    await assert.rejects(
      client.getFeature(here),
      (error: { code: number; message: string }) => {
        assert.equal(error.code, Status.INTERNAL);
        assert.equal(error.message, "internal error");
        return true;
      },
    );
  } finally {
    client.close();
    server.forceShutdown();
  }
  assert.match(String(lines[0].error), /TypeError: secret internals/);
  assert.equal(lines[1].code, "INTERNAL");
  assert.equal(lines[1].level, "error");
});

Deno.test("text lines read TIME LEVEL message key=value, quoting what needs it", () => {
  const lines: string[] = [];
  const logger = createLogger({
    level: "warn",
    write: (line) => lines.push(line),
    now: () => new Date(0),
  });
  logger.debug("dropped");
  logger.info("dropped too");
  logger.warn("call", {
    method: "/a/B",
    details: 'say "hi"',
    n: 2,
    skipped: undefined,
  });
  logger.error("failed");
  assert.deepEqual(lines, [
    '1970-01-01T00:00:00.000Z WARN call method=/a/B details="say \\"hi\\"" n=2',
    "1970-01-01T00:00:00.000Z ERROR failed",
  ]);
});

Deno.test("JSON lines are pino's layout: level, time, fields, msg, each escaped", () => {
  const lines: string[] = [];
  const logger = createLogger({
    format: "json",
    level: "warn",
    write: (line) => lines.push(line),
    now: () => new Date(0),
  });
  logger.info("dropped");
  const fields = {
    'odd "key"': "a\nb",
    details: 'say "hi" é',
    ok: true,
    n: -0.5,
    nan: NaN,
    skipped: undefined,
  };
  logger.warn('call "quoted"', fields);
  logger.error("failed");
  assert.deepEqual(lines, [
    JSON.stringify({
      level: "warn",
      time: "1970-01-01T00:00:00.000Z",
      ...fields,
      msg: 'call "quoted"',
    }),
    '{"level":"error","time":"1970-01-01T00:00:00.000Z","msg":"failed"}',
  ]);
});

Deno.test("a batch that does not fill is written by its timer, without a flush", async () => {
  const written = Promise.withResolvers<string>();
  const logger = createLogger({
    output: {
      writeSync(bytes: Uint8Array): number {
        written.resolve(new TextDecoder().decode(bytes));
        return bytes.length;
      },
    },
    now: () => new Date(0),
  });
  logger.info("alone");
  // The batch timer does not keep a process alive; this keeps the test's.
  const alive = setTimeout(() => {}, 60_000);
  try {
    assert.equal(
      await written.promise,
      "1970-01-01T00:00:00.000Z INFO alone\n",
    );
  } finally {
    clearTimeout(alive);
  }
});

Deno.test("numbers in text lines read as String writes them", () => {
  const numbers = [
    0,
    -0,
    7,
    -3,
    0.4,
    -0.5,
    12.3,
    0.05,
    1 / 3,
    0.1 + 0.2,
    123456.7,
    1e14 - 0.1,
    1e14 + 0.5,
    2 ** 53,
    1e21,
    -1e-7,
    NaN,
    Infinity,
    -Infinity,
  ];
  const lines: string[] = [];
  const logger = createLogger({
    write: (line) => lines.push(line),
    now: () => new Date(0),
  });
  for (const n of numbers) logger.info("n", { n });
  assert.deepEqual(
    lines,
    numbers.map((n) => `1970-01-01T00:00:00.000Z INFO n n=${n}`),
  );
});

Deno.test("text lines longer than a batch reach a write function whole", () => {
  const lines: string[] = [];
  const logger = createLogger({
    write: (line) => lines.push(line),
    now: () => new Date(0),
  });
  const wide = "é".repeat(30_000);
  const long = "x".repeat(70_000);
  const spaced = "a b".repeat(30_000);
  logger.info("long", { wide, long, spaced });
  logger.info("after");
  assert.deepEqual(lines, [
    `1970-01-01T00:00:00.000Z INFO long wide=${wide} long=${long} spaced=${
      JSON.stringify(spaced)
    }`,
    "1970-01-01T00:00:00.000Z INFO after",
  ]);
});

Deno.test("batches go to the output given, whole even when it takes a few bytes at a time", () => {
  const chunks: Uint8Array[] = [];
  // Takes at most 7 bytes per write, as a pipe or socket may.
  const output = {
    writeSync(bytes: Uint8Array): number {
      chunks.push(bytes.slice(0, 7));
      return Math.min(7, bytes.length);
    },
  };
  for (const format of ["text", "json"] as const) {
    chunks.length = 0;
    const logger = createLogger({ format, output, now: () => new Date(0) });
    logger.info("first", { place: "Zürich" });
    logger.warn("second", { n: 2 });
    assert.equal(chunks.length, 0, "held until a batch fills or a flush");
    logger.flush!();
    const text = new TextDecoder().decode(
      Uint8Array.from(chunks.flatMap((chunk) => [...chunk])),
    );
    assert.deepEqual(
      text,
      format === "text"
        ? "1970-01-01T00:00:00.000Z INFO first place=Zürich\n" +
          "1970-01-01T00:00:00.000Z WARN second n=2\n"
        : '{"level":"info","time":"1970-01-01T00:00:00.000Z","place":"Zürich","msg":"first"}\n' +
          '{"level":"warn","time":"1970-01-01T00:00:00.000Z","n":2,"msg":"second"}\n',
    );
  }
});

Deno.test("the server CLI logs start-up, calls and shutdown in the chosen format", async () => {
  const db = await writeDbFile([{ name: "Here", location: here }]);
  try {
    const server = await startServerProcess([
      "--db",
      db,
      "--log-format",
      "json",
    ]);
    const client = new RouteGuideClient(server.address);
    await client.getFeature(here);
    client.close();
    const { code, output } = await server.stop();
    assert.equal(code, 0);
    const json = output.split("\n").filter((l) => l.startsWith("{"))
      .map((line) => JSON.parse(line));
    assert.deepEqual(json.map((line) => line.msg), [
      `RouteGuide server listening on ${server.address} with 1 feature`,
      "call",
      "SIGTERM: shutting down (grace 5 s)",
      "RouteGuide server stopped",
    ]);
    const bad = await runCli("server.ts", ["--log-format", "xml"]);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      "routeguide server: --log-format must be one of text, json, got 'xml'\n",
    );
  } finally {
    await Deno.remove(db);
  }
});

Deno.test("the server CLI writes every access-log line held in its buffer before it exits on SIGTERM", async () => {
  const db = await writeDbFile([{ name: "Here", location: here }]);
  try {
    const server = await startServerProcess(["--db", db]);
    const client = new RouteGuideClient(server.address);
    // Fewer lines than fill a batch: they are still held when SIGTERM comes.
    const calls = 20;
    await Promise.all(
      Array.from({ length: calls }, () => client.getFeature(here)),
    );
    client.close();
    const { code, output } = await server.stop();
    assert.equal(code, 0);
    const lines = output.split("\n");
    assert.equal(
      lines.filter((line) => / INFO call method=/.test(line)).length,
      calls,
    );
    assert.ok(lines.some((line) => line.endsWith("RouteGuide server stopped")));
  } finally {
    await Deno.remove(db);
  }
});

Deno.test("lines batched for stdout come out whole and in order, lines longer than a batch and non-ASCII text included", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/log_lines.ts`;
    await Deno.writeTextFile(
      script,
      `import { createLogger } from "${REPO_ROOT}lib/grpc/log.ts";
const log = createLogger();
log.info("first", { place: "Zürich 東京 🎉" });
log.info("long", { text: "é".repeat(20_000) });
log.info("longer", { text: "é".repeat(70_000), ascii: "x".repeat(70_000) });
for (let i = 0; i < 1_000; i++) log.info("line", { i });
log.info("last");
`,
    );
    // The script lives outside the repo: name the config for its imports.
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--config", `${REPO_ROOT}deno.json`, "-P", script],
      stdin: "null",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const lines = new TextDecoder().decode(stdout).trimEnd().split("\n").map((
      line,
    ) => line.split(" ").slice(1).join(" "));
    assert.deepEqual(lines, [
      'INFO first place="Zürich 東京 🎉"',
      `INFO long text=${"é".repeat(20_000)}`,
      `INFO longer text=${"é".repeat(70_000)} ascii=${"x".repeat(70_000)}`,
      ...Array.from({ length: 1_000 }, (_, i) => `INFO line i=${i}`),
      "INFO last",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
