/**
 * The servers under test: naive, ceiling, ours, and "before" (ours as of an
 * older commit, checked out for the run). Starts one pinned to the server
 * CPU, at the bench's priority, with its output in a file, and stops it.
 * Owns the CPU split and the priority, which the load generators share.
 *
 * @module
 */
import config from "../../deno.json" with { type: "json" };
import { waitForFile } from "../output.ts";

/** Servers run on CPU 0, load generators on CPU 1. */
export const SERVER_CPU = "0";
export const LOAD_CPU = "1";
/**
 * The machine is shared: as root, raise the bench's priority over other
 * work for the minutes it runs (as anyone else, run at normal priority).
 */
export const NICE = Deno.uid() === 0 ? ["-n", "-10"] : ["-n", "0"];

/**
 * The runtime settings `deno task serve` gives the server (the variables
 * set before `deno run` in deno.json). Every server here runs with them,
 * "before" and the baselines too, so that ratios compare code.
 */
export const SERVE_ENV: Record<string, string> = Object.fromEntries(
  config.tasks.serve.matchAll(/(\w+)=(\S+) /gy).map(([, name, value]) => [
    name,
    value,
  ]),
);

/** The servers a run can compare, in the table's column order. */
export const SERVER_NAMES = ["naive", "ceiling", "before", "ours"];

/** A server that has printed its port. */
export interface Running {
  process: Deno.ChildProcess;
  /** Where the server's output goes. */
  log: string;
  port: number;
  /** Ours' web port (Connect) is what `port` is, not a gRPC port. */
  web: boolean;
  /** From spawn to "listening on PORT", in ms. */
  startMs: number;
}

/** Where servers run from. */
export interface ServerSetup {
  /** The run's directory: databases, logs and `before/`. */
  dir: string;
  /**
   * An A/A check: the ceiling runs in ours' (and before's) place, so that
   * the table shows how far the harness's noise alone moves a ratio.
   */
  aa: boolean;
}

/** The `deno run` arguments of server `name` on database `db` ("": ours' default). */
function serverArgs(setup: ServerSetup, name: string, db: string): string[] {
  switch (name) {
    case "naive":
      return ["bench/naive_server.ts", "--db", db];
    case "ceiling":
      return ["bench/ceiling_server.ts", "--db", db];
    case "web": // ours, loaded on its web port
      return serverArgs(setup, "ours", db).map((arg) =>
        arg === "--no-web" ? "--web-port=0" : arg
      );
    case "before":
    case "ours": {
      if (setup.aa) {
        return serverArgs(setup, "ceiling", db || `${setup.dir}/db100k.json`);
      }
      const args = ["server.ts", "--host", "127.0.0.1", "--port", "0"];
      // An older checkout ("before") may not know --no-web.
      if (name === "ours") args.push("--no-web");
      return db === "" ? args : [...args, "--db", db];
    }
  }
  throw new Error(`unknown server ${name} (${SERVER_NAMES.join(", ")})`);
}

/** Extracts commit `rev` into `dir/before`, where "before" runs from. */
export async function checkOutBefore(dir: string, rev: string): Promise<void> {
  await Deno.mkdir(`${dir}/before`);
  const archive = await new Deno.Command("sh", {
    args: ["-c", `git archive "$0" | tar -x -C "$1"`, rev, `${dir}/before`],
  }).output();
  if (!archive.success) throw new Error(`cannot check out ${rev}`);
}

/**
 * Starts server `name` pinned to SERVER_CPU. Its output (ours: the access
 * log, a line per call) goes to a file, as a deployment's log may: written
 * into a pipe that this process drained, ours took about 2% more CPU per
 * GetFeature call than with its output discarded (paired: 0.90-0.91x
 * against 0.92-0.93x the ceiling), the cost of the reader's wake-ups.
 */
export async function start(
  setup: ServerSetup,
  name: string,
  db: string,
): Promise<Running> {
  const t0 = performance.now();
  const log = await Deno.makeTempFile({
    dir: setup.dir,
    prefix: `server-${name}-`,
    suffix: ".log",
  });
  const process = new Deno.Command("sh", {
    args: [
      "-c",
      'exec "$@" > "$0"',
      log,
      "nice",
      ...NICE,
      "taskset",
      "-c",
      SERVER_CPU,
      Deno.execPath(),
      "run",
      "-P=bench",
      ...serverArgs(setup, name, db),
    ],
    // "before" is our server as of an older commit, checked out there.
    cwd: name === "before" ? `${setup.dir}/before` : undefined,
    env: SERVE_ENV,
    stdout: "null",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const web = name === "web";
  const [, port] = await waitForFile(
    log,
    web ? / web=http:\/\/[\d.]+:(\d+)/ : /listening on (?:[\w.]+:)?(\d+)/,
    process.status,
  ).catch((error) => {
    throw new Error(`${name}: ${error.message}`);
  });
  const startMs = performance.now() - t0;
  return { process, log, port: Number(port), web, startMs };
}

/** Kills a server and removes its log. */
export async function stop(server: Running): Promise<void> {
  server.process.kill("SIGKILL");
  await server.process.status;
  await Deno.remove(server.log);
}

/** Starts each of `names` on `db`, one after the other. */
export async function startAll(
  setup: ServerSetup,
  names: readonly string[],
  db: string,
): Promise<Map<string, Running>> {
  const servers = new Map<string, Running>();
  try {
    for (const name of names) servers.set(name, await start(setup, name, db));
  } catch (error) {
    await stopAll(servers);
    throw error;
  }
  return servers;
}

/** Stops every server of {@link startAll}. */
export async function stopAll(servers: Map<string, Running>): Promise<void> {
  for (const server of servers.values()) await stop(server);
}
