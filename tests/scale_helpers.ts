/**
 * Real processes for the scale-out tests and benchmark: redis-server, nginx
 * and RouteGuide servers on free loopback ports, each stopped by its owner.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  type Feature,
  type RouteGuideClient,
  RouteGuideError,
  type RouteNote,
} from "../mod.ts";
import { SERVICE_NAME } from "../lib/grpc/proto.ts";
import { freePort } from "./helpers.ts";
import { checkHealth, type HealthClient } from "./_prod_helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * Where a command is: on PATH, or in /usr/sbin (Debian's nginx), which a
 * non-login PATH may lack. Undefined when it is not installed.
 */
async function findCommand(name: string): Promise<string | undefined> {
  const { success, stdout } = await new Deno.Command("sh", {
    args: ["-c", `command -v ${name} || command -v /usr/sbin/${name}`],
    stderr: "null",
  }).output();
  return success ? new TextDecoder().decode(stdout).trim() : undefined;
}

const REDIS_SERVER = await findCommand("redis-server");
const NGINX = await findCommand("nginx");
/** Whether redis-server is installed (the Redis tests are skipped without it). */
export const hasRedis: boolean = REDIS_SERVER !== undefined;
/** Whether nginx is installed (the nginx tests are skipped without it). */
export const hasNginx: boolean = NGINX !== undefined;

/**
 * Polls `attempt` until it returns something other than undefined, at most
 * `tries` times `delayMs` apart; throws naming `what` when it never does.
 */
export async function until<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  tries = 200,
  delayMs = 50,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const result = await attempt();
    if (result !== undefined) return result;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * Reads a child's output to the end (so its pipe never fills), keeps the
 * lines, and lets a caller wait for a line matching a pattern.
 */
class Lines {
  readonly lines: string[] = [];
  #waiters: { pattern: RegExp; resolve(m: RegExpMatchArray): void }[] = [];
  #ended = false;
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.#read(stream);
  }

  async #read(stream: ReadableStream<Uint8Array>): Promise<void> {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) this.#add(line);
    }
    if (rest) this.#add(rest);
    this.#ended = true;
    this.#waiters = [];
  }

  #add(line: string): void {
    this.lines.push(line);
    this.#waiters = this.#waiters.filter(({ pattern, resolve }) => {
      const match = line.match(pattern);
      if (match) resolve(match);
      return !match;
    });
  }

  /** The first line (already seen or to come) matching `pattern`. */
  waitFor(
    pattern: RegExp,
    status: Promise<unknown>,
  ): Promise<RegExpMatchArray> {
    for (const line of this.lines) {
      const match = line.match(pattern);
      if (match) return Promise.resolve(match);
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push({ pattern, resolve });
      status.then(() =>
        this.done.then(() =>
          reject(
            new Error(
              `process ended before printing ${pattern}:\n${
                this.lines.join("\n")
              }`,
            ),
          )
        )
      );
    });
  }
}

/** A child process with its output read line by line. */
class Child {
  readonly process: Deno.ChildProcess;
  readonly stdout: Lines;
  readonly stderr: Lines;
  readonly status: Promise<Deno.CommandStatus>;
  #exited = false;

  constructor(command: string, args: string[], cwd = ROOT) {
    this.process = new Deno.Command(command, {
      args,
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.stdout = new Lines(this.process.stdout);
    this.stderr = new Lines(this.process.stderr);
    this.status = this.process.status.then(async (status) => {
      this.#exited = true;
      await Promise.all([this.stdout.done, this.stderr.done]);
      return status;
    });
  }

  /** Whether the process has ended. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Sends `signal` (if still running) and waits for the end. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    if (!this.#exited) {
      try {
        this.process.kill(signal);
      } catch {
        // Ended meanwhile.
      }
    }
    return await this.status;
  }
}

/**
 * A redis-server of our own: loopback, data in `dir`, append-only file
 * fsynced on every write (tests) or every second (benchmarks).
 */
export class RedisProcess extends Child {
  /** The port it listens on. */
  readonly port: number;

  private constructor(dir: string, port: number, fsync: string) {
    super(REDIS_SERVER!, [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      // Every write reaches disk before Redis answers, so even SIGKILL
      // loses nothing that was acknowledged.
      "--appendonly",
      "yes",
      "--appendfsync",
      fsync,
      "--save",
      "",
      "--logfile",
      "",
    ]);
    this.port = port;
  }

  /** Starts Redis on `port` (default: a free one) and waits until it is ready. */
  static async start(
    dir: string,
    port: number = freePort(),
    fsync: "always" | "everysec" = "always",
  ): Promise<RedisProcess> {
    const redis = new RedisProcess(dir, port, fsync);
    await redis.stdout.waitFor(/Ready to accept connections/, redis.status);
    return redis;
  }

  /** `redis://127.0.0.1:port/db`. */
  url(db = 0): string {
    return `redis://127.0.0.1:${this.port}/${db}`;
  }
}

/** A RouteGuide server run as `deno run -P server.ts` (as users run it). */
export class ServerProcess extends Child {
  /** `host:port` it printed. */
  address = "";

  private constructor(args: string[]) {
    super(Deno.execPath(), [
      "run",
      "-P",
      "server.ts",
      "--host",
      "127.0.0.1",
      ...args,
    ]);
  }

  /** Starts a server (port 0 unless `args` say) and waits for its listening line. */
  static async start(args: string[]): Promise<ServerProcess> {
    const server = new ServerProcess(
      [
        ...(args.includes("--port") ? [] : ["--port", "0"]),
        // No web port unless asked for: these tests are about gRPC.
        ...(args.includes("--web-port") ? [] : ["--no-web"]),
        ...args,
      ],
    );
    try {
      const [, address] = await server.stdout.waitFor(
        /listening on (\S+)/,
        server.status,
      );
      server.address = address;
    } catch (error) {
      await server.stop("SIGKILL");
      throw new Error(
        `${(error as Error).message}\n${server.stderr.lines.join("\n")}`,
      );
    }
    return server;
  }

  /** Runs server.ts to its end with `args`; for flags that must stop it. */
  static async run(
    args: string[],
  ): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
    const server = new ServerProcess(args);
    const { code } = await server.status;
    return {
      code,
      stdout: server.stdout.lines.filter((l) => l),
      stderr: server.stderr.lines.filter((l) => l && !/^\S*Warning/.test(l)),
    };
  }
}

/** nginx as a gRPC load balancer in front of `upstreams`, config in `dir`. */
export class NginxProcess extends Child {
  /** `127.0.0.1:port` clients dial. */
  readonly address: string;

  private constructor(dir: string, address: string) {
    super(NGINX!, ["-p", dir, "-c", `${dir}/nginx.conf`, "-e", "stderr"]);
    this.address = address;
  }

  /** Upstream addresses nginx has passed calls to, from its access log. */
  async upstreamsUsed(dir: string): Promise<Set<string>> {
    const log = await Deno.readTextFile(`${dir}/access.log`);
    return new Set(log.split("\n").filter((l) => l));
  }

  /** Writes the config, starts nginx and waits until it accepts connections. */
  static async start(dir: string, upstreams: string[]): Promise<NginxProcess> {
    const port = freePort();
    await Deno.writeTextFile(
      `${dir}/nginx.conf`,
      nginxConfig(port, upstreams, dir),
    );
    const nginx = new NginxProcess(dir, `127.0.0.1:${port}`);
    await until("nginx to accept connections", async () => {
      if (nginx.exited) {
        throw new Error(`nginx ended:\n${nginx.stderr.lines.join("\n")}`);
      }
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return true;
      } catch {
        return undefined;
      }
    });
    return nginx;
  }
}

/**
 * The nginx config docs/scaling.md shows, with paths under `dir` so that it runs
 * without root's directories: `listen ... http2` (nginx 1.22) and
 * `grpc_pass` to an upstream of replicas, balanced per call.
 */
export function nginxConfig(
  port: number,
  upstreams: string[],
  dir: string,
): string {
  return `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  log_format upstream '$upstream_addr';
  access_log ${dir}/access.log upstream;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream routeguide {
${upstreams.map((u) => `    server ${u};`).join("\n")}
    # nginx sends one call per upstream connection: keep enough of them
    # open, and long, or it reconnects for nearly every call.
    keepalive 256;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port} http2;
    keepalive_requests 1000000;
    location / {
      grpc_pass grpc://routeguide;
      grpc_read_timeout 1h;
      grpc_send_timeout 1h;
    }
  }
}
`;
}

/** A feature database file naming its replica, for telling replicas apart. */
export async function replicaDb(dir: string, name: string): Promise<string> {
  const path = `${dir}/${name}.json`;
  const features: Feature[] = [
    { name, location: { latitude: 10, longitude: 10 } },
    { name: `${name} north`, location: { latitude: 20, longitude: 10 } },
  ];
  await Deno.writeTextFile(path, JSON.stringify(features));
  return path;
}

/** A note at (lat, lng) E7. */
export function note(
  latitude: number,
  longitude: number,
  message: string,
): RouteNote {
  return { location: { latitude, longitude }, message };
}

/** Runs one RouteChat call and collects what comes back. */
export async function chat(
  client: RouteGuideClient,
  notes: RouteNote[],
): Promise<string[]> {
  const messages: string[] = [];
  for await (const n of client.routeChat(notes, { timeoutMs: 20_000 })) {
    messages.push(n.message);
  }
  return messages;
}

/** The RouteGuideError a promise rejects with (fails when it resolves). */
export async function failure(
  promise: Promise<unknown>,
): Promise<RouteGuideError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RouteGuideError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

/** Why a test is skipped, for its name, or "" when it can run. */
export function skipped(...needs: ("redis-server" | "nginx")[]): string {
  const missing = needs.filter((n) =>
    n === "redis-server" ? !hasRedis : !hasNginx
  );
  return missing.length
    ? ` (skipped: ${missing.join(" and ")} not installed; apt-get install ${
      missing.join(" ")
    })`
    : "";
}

/**
 * Polls Health/Check (each with a deadline) until `routeguide.RouteGuide`
 * reports `status`, as {@link until} polls; asserts that the server as a
 * whole (`""`) reports SERVING throughout. Resolves to the number of polls.
 */
export function untilRouteGuideIs(
  health: HealthClient,
  status: "SERVING" | "NOT_SERVING",
): Promise<number> {
  let polls = 0;
  return until(`routeguide.RouteGuide to report ${status}`, async () => {
    polls++;
    assert.equal(await checkHealth(health, ""), "SERVING", "the server is up");
    return await checkHealth(health, SERVICE_NAME) === status
      ? polls
      : undefined;
  });
}
