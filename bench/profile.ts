/**
 * Profiles our server under load: starts `server.ts` with `--cpu-prof`
 * (pinned to CPU 0), drives one workload with the bench's load generator
 * (pinned to CPU 1), stops the server, and prints where the busy time went,
 * by layer and by function. Only samples taken while the load ran count.
 *
 * Usage: deno run -P=bench bench/profile.ts getfeature|routechat [SECONDS]
 *
 * @module
 */
import { writeGetFeatureBench } from "./data.ts";
import { type CallFrame, frameName, layer } from "./layers.ts";
import { waitFor } from "./output.ts";

const workload = Deno.args[0];
const seconds = Number(Deno.args[1] ?? 5);
if (workload !== "getfeature" && workload !== "routechat") {
  console.error("usage: bench/profile.ts getfeature|routechat [SECONDS]");
  Deno.exit(2);
}

const dir = await Deno.makeTempDir({ prefix: "routeguide-profile-" });
await writeGetFeatureBench(dir, 100_000);

const server = new Deno.Command("taskset", {
  args: [
    "-c",
    "0",
    Deno.execPath(),
    "run",
    "-P=bench",
    "--cpu-prof",
    `--cpu-prof-dir=${dir}`,
    "server.ts",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--db",
    `${dir}/db.json`,
  ],
  stdout: "piped",
}).spawn();
const port = Number(
  (await waitFor(server.stdout, /listening on [\d.]+:(\d+)/))[1],
);

const loadStart = Date.now();
const load = workload === "getfeature"
  ? new Deno.Command("taskset", {
    args: [
      "-c",
      "1",
      "h2load",
      ...["-w", "30", "-W", "30", "-c", "4", "-m", "16"],
      ...["-D", String(seconds)],
      ...["-H", "content-type: application/grpc", "-H", "te: trailers"],
      ...["-d", `${dir}/get.bin`],
      `http://127.0.0.1:${port}/routeguide.RouteGuide/GetFeature`,
    ],
  })
  : new Deno.Command("taskset", {
    args: [
      "-c",
      "1",
      "node",
      "bench/node_load.mjs",
      "chat",
      String(port),
      String(seconds * 20_000),
    ],
  });
const out = await load.output();
const loadEnd = Date.now();
console.log(
  new TextDecoder().decode(out.stdout).split("\n").filter((l) =>
    /finished in|succeeded|notes/.test(l)
  ).join("\n"),
);
server.kill("SIGINT");
await server.status;

// ------------------------------------------------------------ summary

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
const file = [...Deno.readDirSync(dir)].find((e) =>
  e.name.endsWith(".cpuprofile")
)!;
const profile = JSON.parse(await Deno.readTextFile(`${dir}/${file.name}`));
const nodes = new Map<number, ProfileNode>(
  profile.nodes.map((n: ProfileNode) => [n.id, n]),
);

// Profile time is in microseconds from profile.startTime (monotonic); the
// load ran for the last (loadEnd - loadStart) ms before the profile ended.
const byLayer = new Map<string, number>();
const byFunction = new Map<string, number>();
const deltas: number[] = profile.timeDeltas;
let t = profile.startTime;
const from = profile.endTime - (loadEnd - loadStart) * 1000;
let busy = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += deltas[i];
  if (t < from) continue;
  const node = nodes.get(profile.samples[i])!;
  const l = layer(node.callFrame);
  const dt = deltas[i + 1] ?? 0;
  if (l === "idle") continue;
  busy += dt;
  byLayer.set(l, (byLayer.get(l) ?? 0) + dt);
  const name = frameName(node.callFrame);
  byFunction.set(name, (byFunction.get(name) ?? 0) + dt);
}
const pct = (x: number) => `${(100 * x / busy).toFixed(1).padStart(5)}%`;
console.log(
  `\n${workload}: busy ${(busy / 1e6).toFixed(2)} s of ${
    ((loadEnd - loadStart) / 1000).toFixed(1)
  } s under load\n`,
);
console.log("| layer | share of busy time |\n| --- | --- |");
for (const [l, x] of [...byLayer].sort((a, b) => b[1] - a[1])) {
  console.log(`| ${l} | ${pct(x).trim()} |`);
}
console.log("\ntop functions (self time):");
for (const [f, x] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  console.log(`${pct(x)}  ${f}`);
}
await Deno.remove(dir, { recursive: true });
