/**
 * `deno task bench:scale`: GetFeature calls/s and RouteChat notes/s for one
 * server process, one and two replicas behind nginx, and `--workers 2`, all with
 * notes in Redis, on this machine. Load comes from h2load (nghttp2-client),
 * a C HTTP/2 generator that sends ready-made gRPC frames, so the generator
 * takes little of the cores the servers compete for; the CPU time each
 * process used is reported, to show how the cores were split.
 *
 * The machine is shared, so the topologies take turns for `--rounds`
 * rounds (default 3) of `--seconds` (default 3) per measurement, and the
 * median of each is reported.
 *
 * Usage: deno task bench:scale [--seconds N] [--rounds N]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Buffer } from "node:buffer";
import { type Feature, RouteGuideClient } from "../mod.ts";
import { routeGuideServiceDefinition } from "../lib/grpc/proto.ts";
import {
  chat,
  hasNginx,
  hasRedis,
  NginxProcess,
  note,
  RedisProcess,
  ServerProcess,
} from "../tests/scale_helpers.ts";
import {
  childrenCpuSeconds,
  cpuBetween,
  type CpuReading,
  readCpu,
} from "./cpu.ts";
import { grpcFrame } from "./data.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
if (!(seconds > 0 && seconds <= 60) || !(rounds >= 1 && rounds <= 10)) {
  console.error(
    "bench:scale: --seconds must be in (0, 60] and --rounds in [1, 10]",
  );
  Deno.exit(2);
}

const hasH2load = (await new Deno.Command("sh", {
  args: ["-c", "command -v h2load"],
  stdout: "null",
}).output()).success;
if (!hasRedis || !hasNginx || !hasH2load) {
  console.error(
    "bench:scale needs redis-server, nginx and h2load: apt-get install redis-server nginx nghttp2-client",
  );
  Deno.exit(2);
}

const NOTES_PER_CALL = 100;
const here = { latitude: 400_000_000, longitude: -740_000_000 };

const dir = await Deno.makeTempDir({ prefix: "routeguide-bench-scale-" });
const stack: { stop(): Promise<unknown> }[] = [];

async function childPids(pid: number): Promise<number[]> {
  const { stdout } = await new Deno.Command("pgrep", {
    args: ["-P", String(pid)],
  }).output();
  return new TextDecoder().decode(stdout).split("\n").filter((l) => l).map(
    Number,
  );
}

interface Measure {
  perSecond: number;
  cores: Record<string, number>;
}

/**
 * Runs h2load for `seconds` against `path` with `body` as each request,
 * and measures the CPU each named process group used meanwhile.
 */
async function load(
  address: string,
  path: string,
  body: string,
  connections: number,
  streams: number,
  groups: Record<string, number[]>,
): Promise<Measure> {
  const before: Record<string, CpuReading> = {};
  for (const [name, pids] of Object.entries(groups)) {
    before[name] = await readCpu(pids);
  }
  const started = performance.now();
  // `times` prints the CPU that h2load (bash's child) used.
  const { stdout } = await new Deno.Command("bash", {
    args: [
      "-c",
      `h2load -D ${seconds} --warm-up-time=1 -c ${connections} -m ${streams} -d ${body} ` +
      `-H 'content-type: application/grpc' -H 'te: trailers' http://${address}${path}; times`,
    ],
  }).output();
  const wall = (performance.now() - started) / 1000;
  const text = new TextDecoder().decode(stdout);
  const rate = text.match(/finished in [\d.]+s, ([\d.]+) req\/s/);
  const failed = text.match(/(\d+) failed, (\d+) errored/);
  if (!rate || !failed || failed[1] !== "0" || failed[2] !== "0") {
    throw new Error(`h2load failed against ${address}${path}:\n${text}`);
  }
  const cores: Record<string, number> = {};
  for (const [name, pids] of Object.entries(groups)) {
    cores[name] = cpuBetween(before[name], await readCpu(pids)) / wall;
  }
  cores.h2load = childrenCpuSeconds(text) / wall;
  return { perSecond: Number(rate[1]), cores };
}

function coresText(cores: Record<string, number>): string {
  return Object.entries(cores).map(([n, c]) => `${n} ${c.toFixed(2)}`).join(
    ", ",
  );
}

try {
  const redis = await RedisProcess.start(dir, undefined, "everysec");
  stack.push(redis);

  // 10,000 features in a grid, one of them at `here`.
  const features: Feature[] = Array.from({ length: 10_000 }, (_, i) => ({
    name: `Feature ${i}`,
    location: {
      latitude: here.latitude + Math.floor(i / 100) * 1_000,
      longitude: here.longitude + (i % 100) * 1_000,
    },
  }));
  const db = `${dir}/db.json`;
  await Deno.writeTextFile(db, JSON.stringify(features));

  const getFeatureBody = `${dir}/get_feature.bin`;
  await Deno.writeFile(
    getFeatureBody,
    grpcFrame(routeGuideServiceDefinition.GetFeature.requestSerialize(here)),
  );
  // One RouteChat call = NOTES_PER_CALL notes at as many locations.
  const chatBody = `${dir}/route_chat.bin`;
  const notes = Array.from({ length: NOTES_PER_CALL }, (_, i) =>
    grpcFrame(
      routeGuideServiceDefinition.RouteChat.requestSerialize(
        note(i, i, `bench note ${i}`),
      ),
    ));
  await Deno.writeFile(chatBody, Buffer.concat(notes));

  // One earlier note per location: each note sent gets one back.
  const serverArgs = [
    "--db",
    db,
    "--notes-per-location",
    "1",
  ];
  let db_ = 10;
  /** `count` replicas behind one nginx. */
  const behindNginx = (count: number) => ({
    name: `${count} replica${count > 1 ? "s" : ""} + nginx`,
    async start() {
      const replicas = [];
      const notes = redis.url(db_++);
      for (let i = 0; i < count; i++) {
        const r = await ServerProcess.start([...serverArgs, "--notes", notes]);
        stack.push(r);
        replicas.push(r);
      }
      const nginx = await NginxProcess.start(
        await Deno.makeTempDir({ dir }),
        replicas.map((r) => r.address),
      );
      stack.push(nginx);
      return {
        address: nginx.address,
        groups: {
          servers: replicas.map((r) => r.process.pid),
          nginx: [nginx.process.pid],
        },
      };
    },
  });
  const topologies: {
    name: string;
    start(): Promise<{ address: string; groups: Record<string, number[]> }>;
  }[] = [
    {
      name: "1 process",
      async start() {
        const server = await ServerProcess.start([
          ...serverArgs,
          "--notes",
          redis.url(db_++),
        ]);
        stack.push(server);
        return {
          address: server.address,
          groups: { server: [server.process.pid] },
        };
      },
    },
    behindNginx(1),
    behindNginx(2),
    {
      name: "--workers 2",
      async start() {
        const server = await ServerProcess.start([
          ...serverArgs,
          "--workers",
          "2",
          "--notes",
          redis.url(db_++),
        ]);
        stack.push(server);
        return {
          address: server.address,
          groups: {
            workers: await childPids(server.process.pid),
            primary: [server.process.pid],
          },
        };
      },
    },
  ];

  // Start every topology once (idle servers cost next to nothing), then
  // let them take turns so that load from elsewhere hits all alike.
  const running: {
    name: string;
    address: string;
    groups: Record<string, number[]>;
    get: Measure[];
    chat: Measure[];
  }[] = [];
  for (const topology of topologies) {
    const { address, groups } = await topology.start();
    groups.redis = [redis.process.pid];
    // Check the answers are right before timing them.
    const client = new RouteGuideClient(address);
    try {
      const feature = await client.getFeature(here);
      if (feature.name !== "Feature 0") throw new Error(`bad ${feature.name}`);
      await chat(client, [note(-1, -1, "check")]);
    } finally {
      client.close();
    }
    running.push({ name: topology.name, address, groups, get: [], chat: [] });
  }
  for (let round = 1; round <= rounds; round++) {
    // Rotate who goes first, so no topology always follows the same one.
    const order = running.map((_, i) =>
      running[(i + round - 1) % running.length]
    );
    for (const t of order) {
      const get = await load(
        t.address,
        "/routeguide.RouteGuide/GetFeature",
        getFeatureBody,
        8,
        16,
        t.groups,
      );
      const talk = await load(
        t.address,
        "/routeguide.RouteGuide/RouteChat",
        chatBody,
        8,
        16,
        t.groups,
      );
      talk.perSecond *= NOTES_PER_CALL;
      t.get.push(get);
      t.chat.push(talk);
      console.log(
        `round ${round} ${t.name}: GetFeature ${
          Math.round(get.perSecond)
        } calls/s ` +
          `[cores: ${coresText(get.cores)}]; RouteChat ${
            Math.round(talk.perSecond)
          } notes/s [cores: ${coresText(talk.cores)}]`,
      );
    }
  }

  const middle = <T>(xs: T[], key: (x: T) => number): T =>
    xs.toSorted((a, b) => key(a) - key(b))[(xs.length - 1) >> 1];
  const base = running[0];
  // Ratios pair each round with the single process's run of the same
  // round (minutes apart at most), so slow drifts of the load from other
  // work cancel out better than in a ratio of medians.
  const ratio = (mine: Measure[], theirs: Measure[]) =>
    middle(mine.map((m, i) => m.perSecond / theirs[i].perSecond), (r) => r);
  // Calls per CPU-second of the RouteGuide processes: what the servers
  // cost, whatever share of the machine other work left them.
  const serverCores = (m: Measure) =>
    (m.cores.server ?? 0) + (m.cores.servers ?? 0) + (m.cores.workers ?? 0) +
    (m.cores.primary ?? 0);
  console.log(
    `\n2 cores, Deno ${Deno.version.deno}; ${rounds} rounds of ${seconds} s ` +
      `after 1 s warm-up; h2load -c 8 -m 16; RouteChat ${NOTES_PER_CALL} notes per call, 1 kept per location.`,
  );
  console.log(
    "Rates are medians over rounds; ratio = median over rounds of (rate / 1 process's rate in that round).",
  );
  console.log(
    "topology             GetFeature/s  ratio  per server core  RouteChat notes/s  ratio  cores (median GetFeature run)",
  );
  for (const t of running) {
    const get = middle(t.get, (m) => m.perSecond);
    const talk = middle(t.chat, (m) => m.perSecond);
    console.log(
      `${t.name.padEnd(20)} ${
        String(Math.round(get.perSecond)).padStart(12)
      }  ${ratio(t.get, base.get).toFixed(2).padStart(5)}  ${
        String(Math.round(get.perSecond / serverCores(get))).padStart(15)
      }  ${String(Math.round(talk.perSecond)).padStart(17)}  ${
        ratio(t.chat, base.chat).toFixed(2).padStart(5)
      }  ${coresText(get.cores)}`,
    );
  }
  console.log(
    "cores = CPU-seconds per second each process group used during that run. The machine is shared with other work: figures are noisy.",
  );
} finally {
  for (const item of stack.reverse()) await item.stop();
  await Deno.remove(dir, { recursive: true });
}
