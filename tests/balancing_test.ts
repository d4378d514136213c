import assert from "node:assert/strict";
import {
  FeatureDatabase,
  RouteGuideClient,
  type RouteGuideServer,
  startServer,
} from "../mod.ts";
import { channelTarget } from "../lib/grpc/channel_target.ts";

const here = { latitude: 10, longitude: 10 };

/** One server on 127.0.0.1 port 0 per name, each with one feature named so at `here`. */
function startReplicas(names: string[]): Promise<RouteGuideServer[]> {
  return Promise.all(
    names.map((name) =>
      startServer({
        host: "127.0.0.1",
        port: 0,
        features: new FeatureDatabase([{ name, location: here }]),
      })
    ),
  );
}

Deno.test("a client given two addresses spreads calls over both replicas with round_robin", async () => {
  const replicas = await startReplicas(["east", "west"]);
  // The comma-separated form is what `client.ts --addr a,b` passes on.
  const client = new RouteGuideClient(
    replicas.map((r) => r.address).join(","),
  );
  try {
    // round_robin starts on whichever replica is ready first; once both
    // are (a bounded number of calls), it takes them in turn.
    const seen = new Set<string>();
    for (let i = 0; i < 100 && seen.size < 2; i++) {
      seen.add((await client.getFeature(here)).name);
    }
    assert.deepEqual([...seen].sort(), ["east", "west"]);
    const next = [];
    for (let i = 0; i < 4; i++) next.push((await client.getFeature(here)).name);
    assert.deepEqual(next.filter((n) => n === "east").length, 2, next.join());

    // A replica that goes away is skipped, not failed.
    await replicas[0].close();
    for (let i = 0; i < 4; i++) {
      assert.equal((await client.getFeature(here)).name, "west");
    }
  } finally {
    client.close();
    for (const r of replicas) await r.close();
  }
});

Deno.test("channelTarget keeps one address as it is and turns lists into round_robin targets", () => {
  assert.deepEqual(channelTarget("localhost:50051"), {
    target: "localhost:50051",
    channelOptions: {},
  });
  assert.equal(
    channelTarget("dns:replicas.internal:50051").target,
    "dns:replicas.internal:50051",
  );
  const pair = channelTarget(["127.0.0.1:1", "localhost:2"]);
  assert.equal(pair.target, "ipv4:127.0.0.1:1,127.0.0.1:2");
  assert.deepEqual(
    JSON.parse(String(pair.channelOptions["grpc.service_config"])),
    { loadBalancingConfig: [{ round_robin: {} }] },
  );
  assert.equal(
    channelTarget("[::1]:1, [::1]:2").target,
    "ipv6:[::1]:1,[::1]:2",
  );
  assert.throws(
    () => channelTarget("127.0.0.1:1,replica-b:2"),
    /all be IPv4 .* got 'replica-b:2'/,
  );
  assert.throws(() => channelTarget(" , "), /no server address/);
});

Deno.test("client.ts --addr takes a comma-separated list; a host name in it is a usage error", async () => {
  const replicas = await startReplicas(["east", "west"]);
  const run = async (addr: string) => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-q", "-P", "client.ts", "--addr", addr, "--json"].concat(
        ["feature", "0.000001", "0.000001"],
      ),
      stdin: "null",
    }).output();
    const text = (bytes: Uint8Array) =>
      new TextDecoder().decode(bytes).trim().split("\n").filter((l) => l);
    return { code, stdout: text(stdout), stderr: text(stderr) };
  };
  try {
    const list = replicas.map((r) => r.address).join(",");
    const ok = await run(list);
    assert.equal(ok.code, 0, ok.stderr.join("\n"));
    assert.ok(
      ["east", "west"].includes(JSON.parse(ok.stdout[0]).name),
      ok.stdout[0],
    );

    const bad = await run(`${replicas[0].address},replica-b:50051`);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.length, 1, bad.stderr.join("\n"));
    assert.match(bad.stderr[0], /got 'replica-b:50051'/);
  } finally {
    for (const r of replicas) await r.close();
  }
});
