/**
 * `deno task soak`: the server's memory and latency under clients that
 * never read. Starts `server.ts` on the default database, with the runtime
 * settings `deno task serve` gives it (harness/servers.ts), then for each
 * load opens its connections over raw HTTP/2 (requests sent, nothing read),
 * from a process of its own, and, for `--seconds`, samples the server's RSS
 * and times a GetFeature every 100 ms from a client connected before the
 * load began:
 *
 * - ListFeatures: 3 connections x 100 streams, each the whole world;
 * - RouteChat: 5 connections x 100 streams, each sending ~3,800 tiny notes
 *   to a location that holds 100 notes (each note answered with 100).
 *
 * Usage: deno task soak [--seconds 30]
 *
 * (`bench/soak.ts --load NAME --port PORT` is the load's process: it opens
 * the load, prints "ready" and holds it until its stdin closes.)
 *
 * @module
 */
import { parseArgs } from "node:util";
import { RouteGuideClient } from "../mod.ts";
import { encodeRectangle, encodeRouteNote } from "../lib/grpc/wire_encode.ts";
import { INITIAL_WINDOW, stalledCall } from "../tests/_raw_http2.ts";
import { rssMb } from "./cpu.ts";
import { SERVE_ENV } from "./harness/servers.ts";
import { waitFor } from "./output.ts";

/** What one load did to the server. */
export interface SoakResult {
  load: string;
  /** Largest RSS sampled, in MB. */
  maxRssMb: number;
  /** GetFeature latencies, in ms. */
  latencies: number[];
  /** When the slowest GetFeature was sent, in s after the load was open. */
  slowestAt: number;
  /** GetFeature calls that failed. */
  failures: number;
}

const WORLD = {
  lo: { latitude: -900_000_000, longitude: -1_800_000_000 },
  hi: { latitude: 900_000_000, longitude: 1_800_000_000 },
};
const SPOT = { latitude: 407_838_351, longitude: -746_143_763 };

/** The loads, each opening its never-reading connections on `port`. */
export const LOADS: Record<string, (port: number) => Promise<Deno.TcpConn[]>> =
  {
    "ListFeatures 3 x 100": (port) => {
      const request = encodeRectangle(WORLD);
      return Promise.all(
        [0, 1, 2].map(() =>
          stalledCall(port, "/routeguide.RouteGuide/ListFeatures", request, 100)
        ),
      );
    },
    "RouteChat 5 x 100": async (port) => {
      const address = `127.0.0.1:${port}`;
      const client = new RouteGuideClient(address);
      try {
        const notes = Array.from({ length: 100 }, (_, i) => ({
          location: SPOT,
          message: `note ${i}`,
        }));
        for await (const _ of client.routeChat(notes));
      } finally {
        client.close();
      }
      const request = encodeRouteNote({ location: SPOT, message: "x" });
      const copies = Math.floor(INITIAL_WINDOW / (request.length + 5));
      return Promise.all(
        [0, 1, 2, 3, 4].map(() =>
          stalledCall(
            port,
            "/routeguide.RouteGuide/RouteChat",
            request,
            100,
            copies,
          )
        ),
      );
    },
  };

/**
 * Runs `load` against the server at `port` (process `pid`) for `seconds`,
 * timing a GetFeature every 100 ms; closes the load's connections after.
 */
export async function soak(
  load: string,
  port: number,
  pid: number,
  seconds: number,
): Promise<SoakResult> {
  const client = new RouteGuideClient(`127.0.0.1:${port}`);
  const latencies: number[] = [];
  let slowest = -1;
  let slowestAt = 0;
  let failures = 0;
  let maxRssMb = 0;
  // Its own process: writing the load's requests would otherwise hold up
  // the GetFeature measured here.
  const loader = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "-P=bench",
      new URL(import.meta.url).pathname,
      "--load",
      load,
      "--port",
      String(port),
    ],
    stdin: "piped",
    stdout: "piped",
  });
  try {
    await client.getFeature(SPOT);
    const child = loader.spawn();
    try {
      await waitFor(child.stdout, /^ready$/m);
      const open = performance.now();
      const end = open + seconds * 1_000;
      while (performance.now() < end) {
        const start = performance.now();
        try {
          await client.getFeature(SPOT, { timeoutMs: 5_000 });
          const ms = performance.now() - start;
          if (ms > slowest) [slowest, slowestAt] = [ms, (start - open) / 1e3];
          latencies.push(ms);
        } catch {
          failures++;
        }
        maxRssMb = Math.max(maxRssMb, await rssMb(pid));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await child.stdin.close();
      await child.status;
    }
  } finally {
    client.close();
  }
  return { load, maxRssMb, latencies, slowestAt, failures };
}

/** The `q` quantile of `values`. */
function quantile(values: number[], q: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The load's process: opens `load` on `port` and holds it until stdin closes. */
async function holdLoad(load: string, port: number): Promise<void> {
  const conns = await LOADS[load](port);
  console.log("ready");
  for await (const _ of Deno.stdin.readable);
  for (const conn of conns) conn.close();
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "30" },
      load: { type: "string" },
      port: { type: "string" },
    },
  });
  if (values.load !== undefined) {
    await holdLoad(values.load, Number(values.port));
    Deno.exit(0);
  }
  const seconds = Number(values.seconds);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "-q", "-P", "server.ts", "--host", "127.0.0.1", "--port", "0"],
      "--no-web",
    ],
    cwd: new URL("..", import.meta.url).pathname,
    env: SERVE_ENV,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const [, port] = await waitFor(child.stdout, /listening on [\d.]+:(\d+)/);
    console.log(`idle RSS ${(await rssMb(child.pid)).toFixed(0)} MB`);
    console.log(
      "| load | max RSS | GetFeature p50 | p99 | max (sent at) | failed |",
    );
    console.log("| --- | --- | --- | --- | --- | --- |");
    for (const load of Object.keys(LOADS)) {
      const r = await soak(load, Number(port), child.pid, seconds);
      const ms = (q: number) => `${quantile(r.latencies, q).toFixed(1)} ms`;
      console.log(
        `| ${load} | ${r.maxRssMb.toFixed(0)} MB | ${ms(0.5)} | ${ms(0.99)} | ${
          ms(1)
        } (${r.slowestAt.toFixed(1)} s) | ${r.failures} |`,
      );
    }
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}
