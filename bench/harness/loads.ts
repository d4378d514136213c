/**
 * The load generators, pinned to the load CPU: h2load (nghttp2) for
 * GetFeature, ListFeatures and RecordRoute, bench/node_load.mjs for
 * RouteChat and ListFeatures' time to first feature. Owns the loads (how
 * many callers, how much warm-up) that the sequential rounds and the
 * paired windows both run, and the sequential measurement of one load on
 * one server: its CPU time per unit of work and its rate.
 *
 * @module
 */
import { childrenCpuSeconds, cpuBetween, readCpu } from "../cpu.ts";
import type { Bench } from "./setup.ts";
import { ROUTE_POINTS } from "./setup.ts";
import { LOAD_CPU, NICE, type Running } from "./servers.ts";

/** One server's measurement of one workload. */
export interface Result {
  /** Work done per second of wall time (calls, features, points, notes). */
  rate: number;
  /**
   * The server's CPU time per unit of work, in microseconds: unlike the
   * rate, it hardly moves when other processes take CPU time from the
   * server, so ratios of it are the robust ones on a shared machine.
   */
  cpuUs: number;
  /** The generator's CPU use, in cores. */
  generatorCpu: number;
  /** The server's CPU use during the run, in cores. */
  serverCpu: number;
  /** A latency in ms, for latency rows. */
  ms?: number;
}

/** What a generator reports. */
interface Load {
  /** Units of work done (calls, features, points, notes). */
  units: number;
  /** The generator's CPU seconds. */
  generatorSeconds: number;
  ms?: number;
}

/** An h2load workload: one method, its callers, its warm-up. */
export interface H2Workload {
  method: string;
  /** h2load's connections and calls in flight per connection. */
  concurrency: string;
  /** Calls of warm-up on a fresh server. */
  warmupCalls: number;
  /** Units of work per call (features, points). */
  unitsPerCall(bench: Bench): number;
}

// 64 callers: 4 connections x 16 concurrent calls. On a fresh server the
// warm-up is long: V8 is still optimising one for its first 10,000-odd
// calls, and after 2,000 our server (more code to optimise than the
// ceiling) measured 10-30% slow on 100 features. Servers that have run
// other workloads first need less.
export const GET_FEATURE: H2Workload = {
  method: "GetFeature",
  concurrency: "-c 4 -m 16",
  warmupCalls: 10_000,
  unitsPerCall: () => 1,
};
export const LIST_FEATURES: H2Workload = {
  method: "ListFeatures",
  concurrency: "-c 2 -m 2",
  warmupCalls: 8,
  unitsPerCall: (bench) => bench.inRect,
};
// A naive call takes seconds: the warm-up is a single call per connection.
export const RECORD_ROUTE: H2Workload = {
  method: "RecordRoute",
  concurrency: "-c 2 -m 1",
  warmupCalls: 2,
  unitsPerCall: () => ROUTE_POINTS,
};
/** RouteChat notes of warm-up on a fresh server. */
export const CHAT_WARMUP_NOTES = 10_000;

/**
 * Runs h2load on LOAD_CPU with `load` (count mode, `-n`: every call
 * started is finished; or `-D` for a duration) and request `body` (a file
 * in the run's directory); returns the calls done, their rate and h2load's
 * CPU seconds.
 */
export async function h2load(
  bench: Bench,
  port: number,
  method: string,
  body: string,
  load: string,
  web = false,
): Promise<{ calls: number; perSecond: number; cpuSeconds: number }> {
  // Ours' web port: Connect, a bare message for unary, framed for streams.
  const type = !web
    ? "application/grpc' -H 'te: trailers"
    : method === "GetFeature"
    ? "application/proto"
    : "application/connect+proto";
  const command = [
    "nice",
    ...NICE,
    "taskset -c",
    LOAD_CPU,
    "h2load",
    // Large HTTP/2 windows: the generator must never be what waits.
    "-w 30 -W 30",
    load,
    `-H 'content-type: ${type}'`,
    `-d ${bench.dir}/${body}`,
    `http://127.0.0.1:${port}/routeguide.RouteGuide/${method}`,
    "; times",
  ].join(" ");
  const out = await new Deno.Command("bash", { args: ["-c", command] })
    .output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  const finished = text.match(/finished in ([\d.]+)(m?s)/);
  const done = text.match(/(\d+) succeeded/);
  if (!finished || !done || Number(done[1]) === 0) {
    throw new Error(`h2load failed: ${text}`);
  }
  const seconds = Number(finished[1]) / (finished[2] === "ms" ? 1000 : 1);
  return {
    calls: Number(done[1]),
    perSecond: Number(done[1]) / seconds,
    cpuSeconds: childrenCpuSeconds(text),
  };
}

/** Runs node_load.mjs on LOAD_CPU; returns the JSON line it prints. */
async function nodeLoad(args: string[]): Promise<Record<string, number>> {
  const out = await new Deno.Command("nice", {
    args: [
      ...NICE,
      "taskset",
      "-c",
      LOAD_CPU,
      "node",
      "bench/node_load.mjs",
      ...args,
    ],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("node load generator failed");
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/**
 * RouteChat: `notes` notes from 4 connections x 2 calls of 1,000, in pairs
 * at fresh locations from `firstLocation` (the second note of a pair gets
 * the first back).
 */
export async function chat(
  port: number,
  notes: number,
  firstLocation: number,
): Promise<{ notes: number; cpuSeconds: number }> {
  const r = await nodeLoad([
    "chat",
    String(port),
    String(notes),
    String(firstLocation),
  ]);
  return { notes: r.notes, cpuSeconds: r.cpuSeconds };
}

/** Runs a load and measures the server's CPU time and the wall time. */
async function timed(
  server: Running,
  run: () => Promise<Load>,
): Promise<Result> {
  const cpu0 = await readCpu([server.process.pid]);
  const t0 = performance.now();
  const load = await run();
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuBetween(cpu0, await readCpu([server.process.pid]));
  return {
    rate: load.units / wall,
    cpuUs: cpu / load.units * 1e6,
    generatorCpu: load.generatorSeconds / wall,
    serverCpu: cpu / wall,
    ms: load.ms,
  };
}

/**
 * Warms the server up with `warmupCalls` calls (default: the workload's,
 * for a fresh server), then runs as many calls as take about
 * `bench.seconds` at the rate seen, and measures that run.
 */
export async function h2loadRun(
  bench: Bench,
  server: Running,
  workload: H2Workload,
  body: string,
  warmupCalls = workload.warmupCalls,
): Promise<Result> {
  const { method, concurrency } = workload;
  const first = await h2load(
    bench,
    server.port,
    method,
    body,
    `${concurrency} -n ${warmupCalls}`,
  );
  // At least one call per connection (h2load's minimum).
  const n = Math.max(2, Math.round(bench.seconds * first.perSecond));
  return await timed(server, async () => {
    const r = await h2load(
      bench,
      server.port,
      method,
      body,
      `${concurrency} -n ${n}`,
    );
    return {
      units: r.calls * workload.unitsPerCall(bench),
      generatorSeconds: r.cpuSeconds,
    };
  });
}

/**
 * ListFeatures' time to first feature: one call at a time for up to 2 s,
 * the median; the rate counts features.
 */
export function timeToFirstFeature(
  bench: Bench,
  server: Running,
): Promise<Result> {
  return timed(server, async () => {
    const r = await nodeLoad([
      "ttff",
      String(server.port),
      String(Math.min(bench.seconds, 2)),
      bench.rectangle.toString("hex"),
      ...(server.web ? ["application/connect+proto"] : []),
    ]);
    return {
      units: r.calls * bench.inRect,
      ms: r.medianFirstMs,
      generatorSeconds: r.cpuSeconds,
    };
  });
}

/** RouteChat: a warm-up, then `bench.chatNotes` notes measured. */
export async function routeChat(
  bench: Bench,
  server: Running,
): Promise<Result> {
  await chat(
    server.port,
    CHAT_WARMUP_NOTES,
    bench.freshLocations(CHAT_WARMUP_NOTES),
  );
  return await timed(server, async () => {
    const r = await chat(
      server.port,
      bench.chatNotes,
      bench.freshLocations(bench.chatNotes),
    );
    return { units: r.notes, generatorSeconds: r.cpuSeconds };
  });
}
