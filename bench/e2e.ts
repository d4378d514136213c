/**
 * End-to-end benchmark: the naive baseline, the ceiling and our server,
 * each pinned to CPU 0, driven by the same load generators pinned to CPU 1,
 * and one table. The harness is in bench/harness/: setup.ts (settings and
 * data), servers.ts (start and stop), loads.ts (h2load and Node loads),
 * rounds.ts (the sequential rows), paired.ts (the paired rows, which carry
 * the ratios the targets name), report.ts (the table).
 *
 * Usage: deno run -P=bench bench/e2e.ts [--quick] [--paired] [--before REV]
 *   [--servers naive,ceiling,ours] [--aa]
 *
 * - `--quick`: shorter runs, one round and one pair each (about 40 s);
 * - `--paired`: only the paired rows;
 * - `--before REV`: also our server as of commit REV, sequential and paired
 *   (GetFeature, ListFeatures, RecordRoute and RouteChat: ours / before, and
 *   before / ceiling in the "before" column);
 * - `--aa`: the ceiling in ours' place, to see the harness's noise.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { runPaired } from "./harness/paired.ts";
import { Table } from "./harness/report.ts";
import {
  defaultDb,
  getFeature100,
  largeDb,
  routeChatRounds,
} from "./harness/rounds.ts";
import { checkTools, prepare } from "./harness/setup.ts";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    paired: { type: "boolean", default: false },
    before: { type: "string" },
    servers: { type: "string", default: "naive,ceiling,ours" },
    aa: { type: "boolean", default: false },
  },
});

await checkTools();
const bench = await prepare({
  quick: flags.quick,
  servers: flags.servers.split(","),
  before: flags.before,
  aa: flags.aa,
});
const table = new Table(bench.names);
const started = performance.now();
console.error(`load average: ${Deno.loadavg().join(" ")}`);
try {
  if (!flags.paired) {
    await getFeature100(bench, table);
    await largeDb(bench, table);
  }
  await runPaired(bench, table);
  if (!flags.paired) {
    await routeChatRounds(bench, table);
    await defaultDb(bench, table);
  }
} finally {
  await Deno.remove(bench.dir, { recursive: true });
}
console.log(table.render());
console.log(
  `\n${
    ((performance.now() - started) / 1000).toFixed(0)
  } s; Deno ${Deno.version.deno}; load average ${Deno.loadavg().join(" ")}`,
);
