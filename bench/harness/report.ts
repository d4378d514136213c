/**
 * The results table: what the rounds and the paired rows record, printed
 * as one Markdown table (the workload rows, each server's figure and the
 * ratios; rows of single values; the paired rows, median and range, each
 * in its column). Owns the rows' labels and the columns' names.
 *
 * @module
 */
import type { Result } from "./loads.ts";
import { SERVER_NAMES } from "./servers.ts";

/** The workload rows' labels. */
export const ROW = {
  gf100: "GetFeature/s, 100 features",
  gf100k: "GetFeature/s, 100k features",
  listFeatures: (inRect: number) =>
    `ListFeatures features/s (${inRect} of 100k)`,
  ttff: "ListFeatures first feature, ms",
  ttffWeb: "ListFeatures first feature, web port (Connect), ms",
  recordRoute: "RecordRoute points/s (10k/route)",
  routeChat: "RouteChat notes/s",
  rss: "RSS after the 100k-feature load, MB",
  rssChat: "RSS after RouteChat (70k notes), MB",
  start: "start, 100k db to listening, ms",
} as const;

/** The ratio columns a paired row can go in (or a server's). */
export const COLUMN = {
  naive: "ours/naive",
  ceiling: "ours/ceiling",
  byCpu: "ours/ceiling by CPU per unit",
  before: "ours/before",
} as const;

/** Rows whose figure is a latency in ms, not a rate. */
const LATENCY = new Set<string>([ROW.ttff, ROW.ttffWeb]);

const LOWER_IS_BETTER = new Set<string>([
  ...LATENCY,
  ROW.rss,
  ROW.rssChat,
  ROW.start,
]);

/** The CPU fields of a row that is no rate (start time, RSS). */
export const NO_CPU = { cpuUs: 0, generatorCpu: 0, serverCpu: 0 };

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const sorted = xs.toSorted((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Paired ratios as `median (min-max)`. The median has three decimals: the
 * targets sit at 0.9x and 0.95x, and two would round 0.895 up to "0.90".
 */
export function pairedSummary(ratios: number[]): string {
  return `${median(ratios).toFixed(3)}x (${Math.min(...ratios).toFixed(2)}-${
    Math.max(...ratios).toFixed(2)
  })`;
}

/** A result as one log line: latency or rate, and CPU per unit. */
export function describe(result: Result): string {
  return `${
    result.ms !== undefined
      ? `${result.ms.toFixed(2)} ms`
      : result.rate.toFixed(0)
  } (${result.cpuUs.toFixed(1)} us CPU/unit)`;
}

/** The figures of one run, in the order they were recorded. */
export class Table {
  readonly #names: readonly string[];
  readonly #rows = new Map<string, Map<string, Result>>();
  readonly #values = new Map<string, Map<string, number>>();
  readonly #paired = new Map<string, { ratios: number[]; column: string }>();

  /** `names`: the servers of the run. */
  constructor(names: readonly string[]) {
    this.#names = names;
  }

  /** Records `server`'s result for `workload`, and logs it. */
  record(workload: string, server: string, result: Result): void {
    this.reserve(workload);
    this.#rows.get(workload)!.set(server, result);
    console.error(
      `  ${server.padEnd(8)} ${workload.padEnd(34)} ${
        describe(result)
      }; server ${result.serverCpu.toFixed(2)} CPU, generator ${
        result.generatorCpu.toFixed(2)
      } CPU`,
    );
  }

  /** Places `workload`'s row here, before rows recorded later. */
  reserve(workload: string): void {
    if (!this.#rows.has(workload)) this.#rows.set(workload, new Map());
  }

  /** Records a row of single values by server (start time, RSS). */
  value(label: string, server: string, value: number): void {
    if (!this.#values.has(label)) this.#values.set(label, new Map());
    this.#values.get(label)!.set(server, value);
  }

  /** Records a paired row, to print in `column` (see {@link COLUMN}). */
  paired(label: string, ratios: number[], column: string): void {
    this.#paired.set(label, { ratios, column });
    console.error(`  ${label}: ${pairedSummary(ratios)}`);
  }

  /** The table, in Markdown. */
  render(): string {
    const columns = SERVER_NAMES.filter((name) => this.#names.includes(name));
    const hasBefore = columns.includes("before");
    const initials = columns.map((c) => c[0]).join("/");
    const header = [
      "workload",
      ...columns,
      COLUMN.naive,
      COLUMN.ceiling,
      COLUMN.byCpu,
      ...(hasBefore ? [COLUMN.before] : []),
      `generator CPU (${initials})`,
      `server CPU (${initials})`,
    ];
    const lines = [header, header.map(() => "---")];
    for (const [workload, results] of this.#rows) {
      const all = columns.map((s) => results.get(s));
      const [n, c, b, o] = ["naive", "ceiling", "before", "ours"].map((s) =>
        results.get(s)
      );
      const cpu = (key: "generatorCpu" | "serverCpu") =>
        LOWER_IS_BETTER.has(workload) && !LATENCY.has(workload)
          ? ""
          : all.map((r) => r ? r[key].toFixed(2) : "-").join(" / ");
      lines.push([
        workload,
        ...all.map((r) => format(r, workload)),
        ratio(o, n, workload),
        ratio(o, c, workload),
        ratio(o, c, workload, true),
        ...(hasBefore ? [ratio(o, b, workload)] : []),
        cpu("generatorCpu"),
        cpu("serverCpu"),
      ]);
    }
    for (const [label, values] of this.#values) {
      lines.push(header.map((_, i) => {
        if (i === 0) return label;
        const value = values.get(columns[i - 1]);
        return value === undefined ? "" : value.toFixed(0);
      }));
    }
    for (const [label, { ratios, column }] of this.#paired) {
      lines.push(
        header.map((name, i) =>
          i === 0
            ? `${label} (${ratios.length} window${
              ratios.length > 1 ? "s" : ""
            })`
            : name === column
            ? pairedSummary(ratios)
            : ""
        ),
      );
    }
    return lines.map((cells) => `| ${cells.join(" | ")} |`).join("\n");
  }
}

/** The figure a row compares: a latency for ttff, else the rate. */
function figure(result: Result, workload: string): number {
  return LATENCY.has(workload) ? result.ms! : result.rate;
}

function format(result: Result | undefined, workload: string): string {
  if (!result) return "-";
  const v = figure(result, workload);
  return LATENCY.has(workload)
    ? v.toFixed(2)
    : Math.round(v).toLocaleString("en-US");
}

/** How many times better `a` is than `b` (higher is better for `a`). */
function ratio(
  a: Result | undefined,
  b: Result | undefined,
  workload: string,
  byCpu = false,
): string {
  if (!a || !b) return "-";
  if (byCpu) {
    return LOWER_IS_BETTER.has(workload)
      ? ""
      : `${(b.cpuUs / a.cpuUs).toFixed(2)}x`;
  }
  const x = figure(a, workload);
  const y = figure(b, workload);
  return `${(LOWER_IS_BETTER.has(workload) ? y / x : x / y).toFixed(2)}x`;
}
