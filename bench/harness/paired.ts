/**
 * The paired rows, which carry the ratios the targets name. Rounds run one
 * after the other cannot settle a 10% margin on a shared machine (there
 * one server's rounds spread by up to 47%); paired, two servers run at
 * once on the server CPU, each loaded by its own generator on the load CPU
 * over the same windows, and each window gives the ratio of their CPU per
 * unit of work. Whatever the machine does during a window it does to both,
 * so the ceiling against itself stays within a few per cent.
 *
 * @module
 */
import { cpuBetween, readCpu } from "../cpu.ts";
import {
  chat,
  CHAT_WARMUP_NOTES,
  GET_FEATURE,
  h2load,
  type H2Workload,
  LIST_FEATURES,
  RECORD_ROUTE,
  timeToFirstFeature,
} from "./loads.ts";
import { COLUMN, ROW, type Table } from "./report.ts";
import { type Running, start, stop } from "./servers.ts";
import { type Bench, WINDOWS } from "./setup.ts";

/** One side of a paired run: a server, its database, its request. */
interface Side {
  name: string;
  db: string;
  body: string;
}

/**
 * A workload as a paired run drives it: `run` loads one server for step
 * `step` (0: the warm-up; 1 to `windows`: the windows) and returns the
 * units of work done (calls, features, points, notes).
 */
interface PairedWork {
  name: string;
  /** Windows per pair of servers. */
  windows: number;
  /** Pairs of servers, unless the row says. */
  pairs: number;
  run(server: Running, body: string, step: number): Promise<number>;
}

/** An h2load workload, paired: windows of `bench.seconds` (`-D`). */
function pairedH2load(bench: Bench, workload: H2Workload): PairedWork {
  const { method, concurrency, warmupCalls } = workload;
  return {
    name: method,
    windows: WINDOWS,
    pairs: bench.pairs,
    async run(server, body, step) {
      const calls = step === 0
        ? `-n ${warmupCalls}`
        : `-D ${bench.seconds * 1000}ms`;
      const done = await h2load(
        bench,
        server.port,
        method,
        body,
        `${concurrency} ${calls}`,
        server.web,
      );
      return done.calls * workload.unitsPerCall(bench);
    },
  };
}

/**
 * RouteChat, paired: both servers of a pair run the sequential rounds'
 * load at once (a warm-up, then `bench.chatNotes` notes, the same notes at
 * the same locations on both), as one window, on as many pairs as the
 * sequential rounds. Each server's note store grows through the run, and a
 * garbage collection falls in one server's window of 20,000 notes and not
 * in the other's: in windows of that size the ceiling against itself came
 * out at 0.74-1.11x, over the whole run at 0.97-1.04x (four pairs,
 * 2026-12-01, load average 5).
 */
function pairedChat(bench: Bench): PairedWork {
  return {
    name: "RouteChat",
    windows: 1,
    pairs: bench.freshRounds,
    async run(server, _body, step) {
      const done = step === 0
        ? await chat(server.port, CHAT_WARMUP_NOTES, 0)
        : await chat(server.port, bench.chatNotes, CHAT_WARMUP_NOTES);
      return done.notes;
    },
  };
}

/**
 * One workload on two servers, paired, on `pairs` pairs of servers started
 * for it: returns, for each window, `a`'s CPU per unit over `b`'s: how many
 * times faster `b` is.
 */
async function paired(
  bench: Bench,
  a: Side,
  b: Side,
  pairs: number,
  work: PairedWork,
): Promise<number[]> {
  const ratios: number[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    const both = [await start(bench, a.name, a.db)];
    try {
      both.push(await start(bench, b.name, b.db));
      const bodies = [a.body, b.body];
      const load = (step: number) =>
        Promise.all(both.map((server, i) => work.run(server, bodies[i], step)));
      const cpu = () =>
        Promise.all(both.map((server) => readCpu([server.process.pid])));
      await load(0);
      for (let window = 1; window <= work.windows; window++) {
        const before = await cpu();
        const done = await load(window);
        const after = await cpu();
        const [x, y] = done.map((units, i) =>
          cpuBetween(before[i], after[i]) / units * 1e6
        );
        ratios.push(x / y);
        console.error(
          `    paired ${work.name}: ${a.name} ${x.toFixed(2)} us, ${b.name} ${
            y.toFixed(2)
          } us per unit: ${(x / y).toFixed(2)}x`,
        );
      }
    } finally {
      for (const server of both) await stop(server);
    }
  }
  return ratios;
}

/** A paired row: `b` against `a`, shown in the table's `column`. */
interface PairedRow {
  label: string;
  a: Side;
  b: Side;
  work: PairedWork;
  /** Pairs of servers, if not the work's. */
  pairs?: number;
  column: string;
}

/**
 * The paired rows of a run with `bench.names`:
 * - ours against the ceiling on GetFeature, ListFeatures, RecordRoute and
 *   RouteChat (GetFeature on 100,000 features), and on GetFeature with 100
 *   features (one pair: with the index it is nearly the same comparison, a
 *   lookup of 18 ns in a call of about 100 us);
 * - ours against naive on GetFeature (100,000 features; one pair, the
 *   margin being about 2x);
 * - ours' web port (Connect, binary, h2c) against its gRPC port on
 *   GetFeature and ListFeatures (100,000 features);
 * - ours on 100,000 features against ours on 100 (cost flat in database
 *   size; all pairs: one server process can differ from the next by
 *   10-20%);
 * - with `--before`, the four workloads ours against before (the way to
 *   tell a change of a few per cent from the machine's noise), and before
 *   against the ceiling (in the "before" column), in the same session.
 */
function plan(bench: Bench): PairedRow[] {
  const has = (name: string) => bench.names.includes(name);
  const side = (name: string, size: string, body?: string): Side => ({
    name,
    db: `${bench.dir}/db${size}.json`,
    body: body ?? `get${size}.bin`,
  });
  // RouteChat on 100 features, as its sequential rounds.
  const four: [string, string, string | undefined, PairedWork][] = [
    [
      "GetFeature, 100k features",
      "100k",
      undefined,
      pairedH2load(bench, GET_FEATURE),
    ],
    [
      ROW.listFeatures(bench.inRect),
      "100k",
      "list.bin",
      pairedH2load(bench, LIST_FEATURES),
    ],
    [ROW.recordRoute, "100k", "route.bin", pairedH2load(bench, RECORD_ROUTE)],
    [ROW.routeChat, "100", "", pairedChat(bench)],
  ];
  const versus = (a: string, b: string, column: string, suffix = "") =>
    four.map(([label, size, body, work]): PairedRow => ({
      label: `${label}${suffix}, paired`,
      a: side(a, size, body),
      b: side(b, size, body),
      work,
      column,
    }));
  const get = four[0][3];
  const rows: PairedRow[] = [];
  if (has("ceiling") && has("ours")) {
    rows.push(...versus("ceiling", "ours", COLUMN.byCpu), {
      label: "GetFeature, 100 features, paired",
      a: side("ceiling", "100"),
      b: side("ours", "100"),
      work: get,
      pairs: 1,
      column: COLUMN.byCpu,
    });
  }
  if (has("naive") && has("ours")) {
    rows.push({
      label: "GetFeature, 100k features, ours / naive, paired",
      a: side("naive", "100k"),
      b: side("ours", "100k"),
      work: get,
      pairs: 1,
      column: COLUMN.naive,
    });
  }
  if (has("ours")) {
    // Ours' two ports, each server on the one server core: Connect (binary,
    // h2c) on the web port against gRPC on the grpc-js port.
    const web = (size: string, body: string): Side => ({
      ...side("web", size),
      body,
    });
    rows.push({
      label: "GetFeature, 100k features, web port / gRPC port, paired",
      a: side("ours", "100k"),
      b: web("100k", "get100k.raw"),
      work: get,
      column: "ours",
    }, {
      label: `${ROW.listFeatures(bench.inRect)}, web port / gRPC port, paired`,
      a: side("ours", "100k", "list.bin"),
      b: web("100k", "list.bin"),
      work: four[1][3],
      column: "ours",
    });
    rows.push({
      label: "GetFeature, ours on 100k / ours on 100 features, paired",
      a: side("ours", "100"),
      b: side("ours", "100k"),
      work: get,
      column: "ours",
    });
  }
  if (has("before") && has("ours")) {
    rows.push(...versus("before", "ours", COLUMN.before, ", ours / before"));
  }
  if (has("before") && has("ceiling")) {
    rows.push(...versus("ceiling", "before", "before", ", before / ceiling"));
  }
  return rows;
}

/** Runs the paired rows (see {@link plan}) into `table`. */
export async function runPaired(bench: Bench, table: Table): Promise<void> {
  for (const { label, a, b, work, pairs, column } of plan(bench)) {
    const ratios = await paired(bench, a, b, pairs ?? work.pairs, work);
    table.paired(label, ratios, column);
  }
  if (bench.names.includes("ours")) {
    // Not paired: a latency, measured one call at a time.
    const web = await start(bench, "web", `${bench.dir}/db100k.json`);
    try {
      table.record(ROW.ttffWeb, "ours", await timeToFirstFeature(bench, web));
    } finally {
      await stop(web);
    }
  }
}
