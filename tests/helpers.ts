/**
 * Shared test fixtures: a real RouteGuide server on 127.0.0.1 port 0 with a
 * test-made database, real grpc-js clients, RouteChat driven note by note,
 * and `server.ts` run as a subprocess.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import {
  FeatureDatabase,
  MemoryNoteBoard,
  type RouteChatLimits,
  RouteGuideClient,
  RouteGuideError,
  type RouteGuideServer,
  startServer,
  type StatusCode,
} from "../mod.ts";
import { RouteGuideStub } from "../lib/grpc/proto.ts";
import type { Feature, Point, Rectangle, RouteNote } from "../mod.ts";
import type { RouteGuideClient as GeneratedClient } from "../lib/gen/routeguide/RouteGuide.ts";
import assert from "node:assert/strict";

// Seeded, so that random tests are repeatable; the seed is in the test name.
export { mulberry32 } from "../bench/data.ts";

/** The repository root, where deno.json (and its permission sets) live. */
export const REPO_ROOT: string = new URL("..", import.meta.url).pathname;

/** A point in E7 units. */
export function pt(latitude: number, longitude: number): Point {
  return { latitude, longitude };
}

/** The rectangle covering the whole world. */
export const WORLD: Rectangle = {
  lo: pt(-900_000_000, -1_800_000_000),
  hi: pt(900_000_000, 1_800_000_000),
};

/** A feature at an E7 point. */
export function feature(
  name: string,
  latitude: number,
  longitude: number,
): Feature {
  return { name, location: pt(latitude, longitude) };
}

/** A note at an E7 point. */
export function note(
  message: string,
  latitude: number,
  longitude: number,
): RouteNote {
  return { message, location: pt(latitude, longitude) };
}

/** A running in-process server plus a client to it; dispose to stop both. */
export interface TestServer extends AsyncDisposable {
  server: RouteGuideServer;
  client: RouteGuideClient;
  /** Opens another client; it is closed on dispose. */
  newClient(): RouteGuideClient;
  /**
   * A raw grpc-js stub; it is closed on dispose. `ownConnection` keeps it
   * off grpc-js's shared connection pool, like a separate process.
   */
  newStub(ownConnection?: boolean): GeneratedClient;
}

/** Options for {@link startTestServer}. */
export type TestServerOptions = RouteChatLimits;

/** Starts a server on 127.0.0.1:0 over `features` with a fresh note board. */
export async function startTestServer(
  features: readonly Feature[] = [],
  options: TestServerOptions = {},
): Promise<TestServer> {
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    features: new FeatureDatabase(features),
    notes: new MemoryNoteBoard(options),
    chat: options,
  });
  const closers: (() => void)[] = [];
  const newClient = () => {
    const client = new RouteGuideClient(server.address);
    closers.push(() => client.close());
    return client;
  };
  return {
    server,
    client: newClient(),
    newClient,
    newStub(ownConnection = false) {
      const stub = new RouteGuideStub(
        server.address,
        grpc.credentials.createInsecure(),
        ownConnection ? { "grpc.use_local_subchannel_pool": 1 } : {},
      );
      closers.push(() => stub.close());
      return stub;
    },
    async [Symbol.asyncDispose]() {
      for (const close of closers) close();
      await server.close(1_000);
    },
  };
}

/**
 * Binds a grpc-js server (services already added) to 127.0.0.1 port 0 and
 * resolves with the `host:port` it got; the caller shuts it down.
 */
export function bindLoopback(server: grpc.Server): Promise<string> {
  return new Promise((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      (error, port) => error ? reject(error) : resolve(`127.0.0.1:${port}`),
    )
  );
}

/** A free TCP port on 127.0.0.1 (free when asked; taken by whoever binds it next). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Pinned, as in deno.json "imports". */
const BUF = "npm:@bufbuild/buf@1.74.0";

/**
 * Runs buf (npm @bufbuild/buf, which ships the Go binary) in the repository
 * with `args`; its stdout, asserting success.
 */
export async function buf(...args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", BUF, ...args],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.ok(
    success,
    `buf ${args.join(" ")}: ${out}${new TextDecoder().decode(stderr)}`,
  );
  return out;
}

/** `buf curl`'s output: one JSON object per message, pretty, back to back. */
export function bufMessages(out: string): unknown[] {
  return out.trim() === ""
    ? []
    : JSON.parse(`[${out.trim().replace(/\n}\n{/g, "\n},\n{")}]`);
}

/** Collects an async iterable into an array (bounded by the iterable). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Asserts that `promise` rejects with a RouteGuideError of `code`. */
export async function assertStatus(
  promise: Promise<unknown>,
  code: StatusCode,
  messageIncludes?: string,
): Promise<RouteGuideError> {
  const error = await promise.then(
    () => assert.fail(`expected status ${code}, got success`),
    (e: unknown) => e,
  );
  assert.ok(
    error instanceof RouteGuideError,
    `not a RouteGuideError: ${error}`,
  );
  assert.equal(
    error.code,
    code,
    `expected code ${code}, got ${error.codeName}: ${error.message}`,
  );
  if (messageIncludes !== undefined) {
    assert.ok(
      error.message.includes(messageIncludes),
      `message ${JSON.stringify(error.message)} lacks ${
        JSON.stringify(messageIncludes)
      }`,
    );
  }
  return error;
}

/**
 * A RouteChat call driven note by note over a raw grpc-js duplex stream:
 * `send` one note, then `take(n)` waits for exactly the next n responses.
 */
export class ChatSession {
  readonly call: grpc.ClientDuplexStream<RouteNote, RouteNote>;
  readonly #queue: RouteNote[] = [];
  #waiter: (() => void) | undefined;
  #ended = false;
  #error: grpc.ServiceError | undefined;

  constructor(stub: GeneratedClient, options: grpc.CallOptions = {}) {
    this.call = stub.RouteChat(options) as grpc.ClientDuplexStream<
      RouteNote,
      RouteNote
    >;
    this.call.on("data", (n: RouteNote) => {
      this.#queue.push(n);
      this.#wake();
    });
    this.call.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    this.call.on("error", (e: grpc.ServiceError) => {
      this.#error = e;
      this.#ended = true;
      this.#wake();
    });
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  send(n: RouteNote): void {
    this.call.write(n);
  }

  /** The next `count` responses; fails if the call ends first. */
  async take(count: number): Promise<RouteNote[]> {
    while (this.#queue.length < count && !this.#ended) {
      await new Promise<void>((resolve) => this.#waiter = resolve);
    }
    if (this.#queue.length < count) {
      throw this.#error
        ? RouteGuideError.from(this.#error)
        : new Error(`call ended after ${this.#queue.length} of ${count}`);
    }
    return this.#queue.splice(0, count);
  }

  /**
   * Half-closes and waits for the server to end the call; resolves with
   * whatever else arrived, rejects with the call's error status.
   */
  async finish(): Promise<RouteNote[]> {
    this.call.end();
    return await this.done();
  }

  /** Waits for the call to end without half-closing. */
  async done(): Promise<RouteNote[]> {
    while (!this.#ended) {
      await new Promise<void>((resolve) => this.#waiter = resolve);
    }
    if (this.#error) throw RouteGuideError.from(this.#error);
    return this.#queue.splice(0);
  }
}

/** Writes a db file (JSON value or text) to a temp file; returns its path. */
export async function writeDbFile(
  contents: unknown,
  suffix = ".json",
): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "routeguide-db-", suffix });
  await Deno.writeTextFile(
    path,
    typeof contents === "string" ? contents : JSON.stringify(contents),
  );
  return path;
}

/** A `server.ts` subprocess; dispose kills it (if still running). */
export interface ServerProcess extends AsyncDisposable {
  child: Deno.ChildProcess;
  /** `host:port` it printed. */
  address: string;
  /** The line it printed when listening. */
  firstLine: string;
  /** The next line it prints to stdout (undefined at the end). */
  nextLine(): Promise<string | undefined>;
  /** Every stdout line read so far (all of them after `exit`). */
  lines(): string[];
  /** Waits for exit; resolves with exit code and all of stderr. */
  exit(): Promise<{ code: number; stderr: string }>;
  /**
   * Sends SIGTERM (if still running) and waits for exit; resolves with the
   * exit code and all output, stdout then stderr.
   */
  stop(): Promise<{ code: number; output: string }>;
}

/**
 * Runs `server.ts` with args and the repo's default permission set, `env`
 * added to this process's environment.
 */
function spawnServer(
  args: string[],
  env: Record<string, string>,
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-P", "server.ts", ...args],
    cwd: REPO_ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

/**
 * Starts `server.ts --host 127.0.0.1 --port 0 ...args` (with `env` added to
 * its environment) and resolves once it prints its address.
 */
export async function startServerProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawnServer(
    [
      ...["--host", "127.0.0.1", "--port", "0"],
      // Any free web port; none under mTLS, which the web port cannot serve.
      ...(args.includes("--tls-client-ca") ? [] : ["--web-port", "0"]),
      ...args,
    ],
    env,
  );
  const stderr = readAll(child.stderr);
  const lines = child.stdout
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(lineSplitter())
    .getReader();
  const first = await lines.read();
  const match = first.value?.match(/listening on (\S+) with (\d+) features?\b/);
  if (!match) {
    child.kill("SIGKILL");
    await lines.cancel();
    const status = await child.status;
    throw new Error(
      `server.ts did not start (exit ${status.code}): ${
        first.value ?? ""
      } ${await stderr}`,
    );
  }
  const seen: string[] = [first.value!];
  const nextLine = async () => {
    const { value } = await lines.read();
    if (value !== undefined) seen.push(value);
    return value;
  };
  let exited: Promise<{ code: number; stderr: string }> | undefined;
  const exit = () =>
    exited ??= (async () => {
      const status = await child.status;
      // Read what is left so that the pipe closes.
      while (await nextLine() !== undefined) { /* collected in seen */ }
      return { code: status.code, stderr: await stderr };
    })();
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // Already exited.
    }
  };
  return {
    child,
    address: match[1],
    firstLine: first.value!,
    nextLine,
    lines: () => seen.slice(),
    exit,
    async stop() {
      kill("SIGTERM");
      const { code, stderr } = await exit();
      return { code, output: `${seen.join("\n")}\n${stderr}` };
    },
    async [Symbol.asyncDispose]() {
      kill("SIGKILL");
      await exit();
    },
  };
}

/** Splits a text stream into lines. */
function lineSplitter(): TransformStream<string, string> {
  let buffer = "";
  return new TransformStream({
    transform(chunk, controller) {
      buffer += chunk;
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      for (const line of parts) controller.enqueue(line);
    },
    flush(controller) {
      if (buffer) controller.enqueue(buffer);
    },
  });
}

/** What a finished `deno` subprocess printed: stdout as lines, stderr whole. */
export interface DenoRun {
  code: number;
  stdout: string[];
  stderr: string;
}

/**
 * Runs `deno <args>` in the repository (or in `cwd`, with `env` added to
 * this process's environment), feeding `stdin` (then end of input) when
 * given, and waits for it to end.
 */
export async function runDeno(
  args: string[],
  stdin?: string,
  { cwd = REPO_ROOT, env }: { cwd?: string; env?: Record<string, string> } = {},
): Promise<DenoRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const out = new TextDecoder().decode(stdout).replace(/\n$/, "");
  return {
    code,
    stdout: out === "" ? [] : out.split("\n"),
    stderr: new TextDecoder().decode(stderr),
  };
}
