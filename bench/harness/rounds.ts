/**
 * The sequential rows: each workload on every server in turn, in rounds of
 * alternating order (n c o, o c n, ...), each round on servers started for
 * it, each server's best round kept; with start times and RSS. One server
 * process can differ from the next by 10-20% in CPU per unit for the same
 * code, which rounds on one process do not average out. The ratios the
 * targets name are carried by the paired rows (paired.ts) instead.
 *
 * @module
 */
import { rssMb } from "../cpu.ts";
import {
  GET_FEATURE,
  h2loadRun,
  LIST_FEATURES,
  RECORD_ROUTE,
  type Result,
  routeChat,
  timeToFirstFeature,
} from "./loads.ts";
import { describe, NO_CPU, ROW, type Table } from "./report.ts";
import { type Running, start, startAll, stop, stopAll } from "./servers.ts";
import { type Bench, GF100_ROUNDS } from "./setup.ts";

/** Keeps `result` if it is `name`'s best so far; logs every round. */
function keepBest(
  best: Map<string, Result>,
  name: string,
  result: Result,
): void {
  console.error(`    round: ${name.padEnd(8)} ${describe(result)}`);
  const kept = best.get(name);
  const better = result.ms !== undefined
    ? !kept || result.ms < kept.ms!
    : !kept || result.rate > kept.rate;
  if (better) best.set(name, result);
}

/**
 * Runs one workload on every server for `rounds` rounds, each run on a
 * server started for it, and records each server's best round. `last`
 * sees each server after its final round, before it stops.
 */
async function compareFresh(
  bench: Bench,
  table: Table,
  workload: string,
  db: string,
  run: (server: Running) => Promise<Result>,
  rounds: number,
  last?: (name: string, server: Running) => Promise<void>,
): Promise<void> {
  const best = new Map<string, Result>();
  // The workload's row comes before any row `last` records.
  table.reserve(workload);
  let order = [...bench.names];
  for (let round = 0; round < rounds; round++) {
    for (const name of order) {
      const server = await start(bench, name, db);
      try {
        keepBest(best, name, await run(server));
        if (round === rounds - 1) await last?.(name, server);
      } finally {
        await stop(server);
      }
    }
    order = order.toReversed();
  }
  for (const [name, result] of best) table.record(workload, name, result);
}

/**
 * GetFeature on 100 features: transport only, where our per-call cost
 * shows most; fresh servers, so that one process's luck does not decide.
 */
export function getFeature100(bench: Bench, table: Table): Promise<void> {
  return compareFresh(
    bench,
    table,
    ROW.gf100,
    `${bench.dir}/db100.json`,
    (s) => h2loadRun(bench, s, GET_FEATURE, "get100.bin"),
    GF100_ROUNDS,
  );
}

/**
 * The 100,000-feature workloads: each round on servers started for it,
 * each running ListFeatures, time to first feature, RecordRoute and
 * GetFeature in turn; then start times and RSS after the last round.
 */
export async function largeDb(bench: Bench, table: Table): Promise<void> {
  const workloads: [string, (server: Running) => Promise<Result>][] = [
    [
      ROW.listFeatures(bench.inRect),
      (s) => h2loadRun(bench, s, LIST_FEATURES, "list.bin"),
    ],
    [ROW.ttff, (s) => timeToFirstFeature(bench, s)],
    [ROW.recordRoute, (s) => h2loadRun(bench, s, RECORD_ROUTE, "route.bin")],
    // These servers have run the streaming workloads: a shorter warm-up.
    [ROW.gf100k, (s) => h2loadRun(bench, s, GET_FEATURE, "get100k.bin", 4_000)],
  ];
  const best = new Map(workloads.map(([workload]) => [workload, new Map()]));
  const startMs = new Map<string, number>();
  const rss = new Map<string, number>();
  let order = [...bench.names];
  for (let round = 0; round < bench.rounds; round++) {
    const servers = await startAll(
      bench,
      bench.names,
      `${bench.dir}/db100k.json`,
    );
    try {
      for (const [name, server] of servers) {
        startMs.set(
          name,
          Math.min(startMs.get(name) ?? Infinity, server.startMs),
        );
      }
      for (const [workload, run] of workloads) {
        for (const name of order) {
          keepBest(best.get(workload)!, name, await run(servers.get(name)!));
        }
      }
      if (round === bench.rounds - 1) {
        for (const [name, server] of servers) {
          rss.set(name, await rssMb(server.process.pid));
        }
      }
    } finally {
      await stopAll(servers);
    }
    order = order.toReversed();
  }
  for (const [name, ms] of startMs) {
    table.record(ROW.start, name, { rate: ms, ...NO_CPU });
  }
  for (const [workload, results] of best) {
    for (const [name, result] of results) table.record(workload, name, result);
  }
  for (const [name, mb] of rss) {
    table.record(ROW.rss, name, { rate: mb, ...NO_CPU });
  }
}

/**
 * RouteChat on fresh servers each round: each stores what it is sent, so
 * each must start from the same empty board. RSS after the last round.
 */
export function routeChatRounds(bench: Bench, table: Table): Promise<void> {
  return compareFresh(
    bench,
    table,
    ROW.routeChat,
    `${bench.dir}/db100.json`,
    (s) => routeChat(bench, s),
    bench.freshRounds,
    async (name, server) =>
      table.record(ROW.rssChat, name, {
        rate: await rssMb(server.process.pid),
        ...NO_CPU,
      }),
  );
}

/** RSS after the load of the default-db row: GetFeature, then RouteChat. */
async function rssAfterLoadMb(bench: Bench, server: Running): Promise<number> {
  await h2loadRun(bench, server, GET_FEATURE, "get100.bin");
  await routeChat(bench, server);
  return await rssMb(server.process.pid);
}

/**
 * Ours (and before) with the default database (the world's cities): start
 * time, best of 3; then RSS idle, and after GetFeature and RouteChat load.
 * Then the stack's floor for that last figure: the ceiling with 100
 * features (no database to speak of; notes kept as the bytes they came
 * in) after the same load.
 */
export async function defaultDb(bench: Bench, table: Table): Promise<void> {
  for (
    const name of bench.names.filter((n) => n === "ours" || n === "before")
  ) {
    let startMs = Infinity;
    for (let i = 0; i < 3; i++) {
      const server = await start(bench, name, "");
      try {
        // Recorded every time (the best so far), so that its row comes first.
        startMs = Math.min(startMs, server.startMs);
        table.value(
          "start, default db (world cities) to listening, ms (best of 3)",
          name,
          startMs,
        );
        if (i === 2) {
          table.value(
            "RSS idle, default db, MB",
            name,
            await rssMb(server.process.pid),
          );
          table.value(
            "RSS after GetFeature and RouteChat load, default db, MB",
            name,
            await rssAfterLoadMb(bench, server),
          );
        }
      } finally {
        await stop(server);
      }
    }
  }
  if (bench.names.includes("ceiling")) {
    const server = await start(bench, "ceiling", `${bench.dir}/db100.json`);
    try {
      table.value(
        "RSS after the same load, 100 features (the stack's floor), MB",
        "ceiling",
        await rssAfterLoadMb(bench, server),
      );
    } finally {
      await stop(server);
    }
  }
}
