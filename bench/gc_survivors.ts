/**
 * How much of a GetFeature call's garbage outlives V8's young-generation
 * collections (scavenges), server by server. What survives a scavenge is
 * copied, soon promoted to the old generation, and stays there until a full
 * collection: it is what scavenges cost and what makes RSS grow under load.
 *
 * Starts each server (pinned to CPU 0, with `--inspect` on a free loopback
 * port) on a 100-feature database, drives GetFeature with h2load (pinned
 * to CPU 1), and samples allocations with V8's sampling heap profiler
 * twice: once counting everything allocated, once leaving out what
 * scavenges collected. After each pass a burst of short-lived garbage
 * pushes what the load left in the young generation through scavenges, so
 * that only real survivors count.
 *
 * Usage: deno run -P=bench bench/gc_survivors.ts [--calls N] [--callers C]
 *   [--servers naive,ceiling,ours] (C: 64 = 4 connections x 16, or 1)
 *
 * @module
 */
import { parseArgs } from "node:util";
import { writeGetFeatureBench } from "./data.ts";
import { waitFor } from "./output.ts";

/** A V8 sampling heap profile's call frame. */
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

/**
 * The layer of a call frame, from its script URL: ours, grpc-js, Deno's
 * `node:http2`, Deno's Node compatibility layer, the runtime, native code.
 */
function layer({ functionName, url }: CallFrame): string {
  if (functionName === "(garbage collector)") return "GC";
  if (url.includes("@grpc/grpc-js")) return "grpc-js";
  // Our lib/, not an npm package's.
  const ours = url.startsWith("file://") && !url.includes("/npm/") &&
    !url.includes("node_modules");
  if ((ours && url.includes("/lib/")) || url.includes("kdbush")) {
    return "routeguide (handlers, codec, index, notes)";
  }
  if (ours && url.includes("/bench/")) return "bench server";
  if (/ext:deno_node\/.*http2|node:http2|internal\/http2/.test(url)) {
    return "Deno node:http2 (JS)";
  }
  if (url.startsWith("ext:deno_node") || url.startsWith("node:")) {
    return "Deno Node compat (streams, events, Buffer, timers)";
  }
  if (url.startsWith("ext:")) return "Deno runtime (event loop, ops)";
  if (url === "") return "native (V8 builtins, ops: socket writes, nghttp2)";
  return "other";
}

/** A call frame as one short line: function, file and line. */
function frameName(frame: CallFrame): string {
  return `${frame.functionName || "(anonymous)"} ${
    frame.url.split("/").at(-1)
  }:${frame.lineNumber + 1}`;
}

const { values: flags } = parseArgs({
  options: {
    calls: { type: "string", default: "20000" },
    callers: { type: "string", default: "64" },
    servers: { type: "string", default: "naive,ceiling,ours" },
  },
});
const CALLS = Number(flags.calls);
const CONCURRENCY = flags.callers === "1" ? ["-c", "1", "-m", "1"] : [
  "-c",
  "4",
  "-m",
  String(Math.max(1, Math.round(Number(flags.callers) / 4))),
];

const dir = await Deno.makeTempDir({ prefix: "routeguide-gc-" });
await writeGetFeatureBench(dir, 100);

const SERVERS: Record<string, string[]> = {
  naive: ["bench/naive_server.ts", "--db", `${dir}/db.json`],
  ceiling: ["bench/ceiling_server.ts", "--db", `${dir}/db.json`],
  ours: [
    "server.ts",
    ...["--host", "127.0.0.1", "--port", "0", "--db", `${dir}/db.json`],
    "--no-web",
  ],
};

/** A minimal Chrome DevTools Protocol client over the inspector socket. */
class Inspector {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, (result: unknown) => void>();
  #id = 0;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      this.#pending.get(message.id)?.(message.result);
      this.#pending.delete(message.id);
    };
  }

  static async connect(url: string): Promise<Inspector> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    return new Inspector(socket);
  }

  send<T>(method: string, params: object = {}): Promise<T> {
    const id = ++this.#id;
    this.#socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve) =>
      this.#pending.set(id, resolve as (result: unknown) => void)
    );
  }

  close(): void {
    this.#socket.close();
  }
}

interface SampleNode {
  callFrame: CallFrame;
  selfSize: number;
  children: SampleNode[];
}

async function getFeatureCalls(port: number, calls: number): Promise<void> {
  const out = await new Deno.Command("taskset", {
    args: [
      ...["-c", "1", "h2load", "-w", "30", "-W", "30", ...CONCURRENCY],
      ...["-n", String(calls), "-H", "content-type: application/grpc"],
      ...["-H", "te: trailers", "-d", `${dir}/get.bin`],
      `http://127.0.0.1:${port}/routeguide.RouteGuide/GetFeature`,
    ],
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!text.includes(`${calls} succeeded`)) throw new Error(text);
}

const FLUSH = "gc-survivors-flush";

/** Bytes sampled per allocating frame during `calls` GetFeature calls. */
async function sample(
  inspector: Inspector,
  port: number,
  survivorsOnly: boolean,
): Promise<Map<string, { frame: CallFrame; bytes: number }>> {
  await inspector.send("HeapProfiler.startSampling", {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: !survivorsOnly,
  });
  await getFeatureCalls(port, CALLS);
  if (survivorsOnly) {
    // About 150 MB of garbage that dies at once: the load's leftovers in
    // the young generation go through scavenges before the count.
    await inspector.send("Runtime.evaluate", {
      expression: `{ let x; for (let i = 0; i < 3e6; i++) x = [i, i, i, i]; }
//# sourceURL=${FLUSH}`,
    });
  }
  const { profile } = await inspector.send<{ profile: { head: SampleNode } }>(
    "HeapProfiler.stopSampling",
  );
  const byFrame = new Map<string, { frame: CallFrame; bytes: number }>();
  const walk = (node: SampleNode): void => {
    if (node.callFrame.url === FLUSH) return;
    if (node.selfSize > 0) {
      const name = frameName(node.callFrame);
      const entry = byFrame.get(name) ??
        byFrame.set(name, { frame: node.callFrame, bytes: 0 }).get(name)!;
      entry.bytes += node.selfSize;
    }
    node.children.forEach(walk);
  };
  walk(profile.head);
  return byFrame;
}

const sum = (m: Map<string, { bytes: number }>): number =>
  [...m.values()].reduce((total, e) => total + e.bytes, 0);
const kb = (bytes: number): string => (bytes / CALLS / 1024).toFixed(1);

console.log(
  `GetFeature, ${CALLS} calls, ${flags.callers} caller(s), 100 features\n`,
);
console.log(
  "| server | KiB allocated per call | KiB surviving scavenges per call | share |",
);
console.log("| --- | --- | --- | --- |");
const details: string[] = [];
for (const name of flags.servers.split(",")) {
  const server = new Deno.Command("taskset", {
    args: [
      ...["-c", "0", Deno.execPath(), "run", "-P=bench"],
      "--inspect=127.0.0.1:0",
      ...SERVERS[name],
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const [[, url], [, port]] = await Promise.all([
      waitFor(server.stderr, /(ws:\/\/\S+)/),
      waitFor(server.stdout, /listening on (?:[\d.]+:)?(\d+)/),
    ]);
    const inspector = await Inspector.connect(url);
    await inspector.send("HeapProfiler.enable");
    await inspector.send("Runtime.enable");
    await getFeatureCalls(Number(port), 3000); // warm-up
    const all = await sample(inspector, Number(port), false);
    const survivors = await sample(inspector, Number(port), true);
    inspector.close();
    console.log(
      `| ${name} | ${kb(sum(all))} | ${kb(sum(survivors))} | ${
        (100 * sum(survivors) / sum(all)).toFixed(0)
      }% |`,
    );
    const byLayer = new Map<string, number>();
    for (const { frame, bytes } of survivors.values()) {
      byLayer.set(layer(frame), (byLayer.get(layer(frame)) ?? 0) + bytes);
    }
    details.push(
      `\n${name}: surviving KiB per call, by layer that allocated it:`,
      ...[...byLayer].sort((a, b) => b[1] - a[1]).map(([l, b]) =>
        `  ${kb(b).padStart(5)}  ${l}`
      ),
      "  top allocation sites:",
      ...[...survivors].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 8)
        .map(([site, { bytes }]) => `  ${kb(bytes).padStart(5)}  ${site}`),
    );
  } finally {
    server.kill("SIGKILL");
    await server.status;
  }
}
console.log(details.join("\n"));
await Deno.remove(dir, { recursive: true });
