/**
 * What an operator and a user see when things happen to a running server,
 * through the real processes: Redis dropping and coming back (one log line
 * each, and a client line saying the server answered), the listening line
 * at every log level, one shutdown line for a doubled Ctrl-C, and a call
 * cancelled at the end of the grace period blamed on the server.
 *
 * @module
 */
import assert from "node:assert/strict";
import { RouteGuideClient, type RouteNote } from "../mod.ts";
import {
  REPO_ROOT,
  type ServerProcess,
  startServerProcess,
} from "./helpers.ts";
import {
  hasRedis,
  RedisProcess,
  ServerProcess as ServerProcessWithWorkers,
  skipped,
} from "./scale_helpers.ts";

/** Reads the server's stdout until a line matches `pattern`. */
async function lineMatching(
  server: ServerProcess,
  pattern: RegExp,
): Promise<string> {
  for (let line = await server.nextLine();; line = await server.nextLine()) {
    if (line === undefined) {
      throw new Error(`no line matched ${pattern}: ${server.lines()}`);
    }
    if (pattern.test(line)) return line;
  }
}

/** `client.ts --addr address chat` fed `input`: exit code and stderr. */
async function chatCli(address: string, input: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-P", "client.ts", "--addr", address, "chat"],
    cwd: REPO_ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const { code, stderr } = await child.output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test({
  name:
    `Redis dropping and coming back is logged once each; the client says the server answered${
      skipped("redis-server")
    }`,
  ignore: !hasRedis,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "routeguide-ops-" });
    let redis = await RedisProcess.start(dir);
    try {
      await using server = await startServerProcess([
        "--notes",
        redis.url(),
      ]);
      Deno.kill(redis.process.pid, "SIGKILL");
      await redis.status;
      const run = await chatCli(server.address, "1 1 hello\n");
      assert.deepEqual(run, {
        code: 1,
        stderr:
          "routeguide client: UNAVAILABLE: RouteChat: the server's note board is unavailable (try again later)\n",
      });
      await lineMatching(
        server,
        /^\S+ WARN note board unavailable: RouteChat answers UNAVAILABLE until it is back$/,
      );
      redis = await RedisProcess.start(dir, redis.port);
      await lineMatching(
        server,
        /^\S+ INFO note board back: RouteChat available again$/,
      );
      const { code } = await server.stop();
      assert.equal(code, 0);
      assert.equal(
        server.lines().join("\n").match(/note board unavailable/g)?.length,
        1,
      );
    } finally {
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the listening line prints at --log-level warn, and nothing else does", async () => {
  await using server = await startServerProcess(["--log-level", "warn"]);
  assert.match(
    server.firstLine,
    /^\S+ INFO RouteGuide server listening on 127\.0\.0\.1:\d+ with \d+ features/,
  );
  const { code } = await server.stop();
  assert.equal(code, 0);
  assert.deepEqual(server.lines(), [server.firstLine]);
});

Deno.test("a doubled SIGINT (Ctrl-C through deno task) logs one shutdown", async () => {
  await using server = await startServerProcess([]);
  server.child.kill("SIGINT");
  server.child.kill("SIGINT");
  const { code } = await server.exit();
  assert.equal(code, 0);
  const lines = server.lines().map((line) => line.replace(/^\S+ /, ""));
  assert.deepEqual(lines.slice(1), [
    "INFO SIGINT: shutting down (grace 5 s)",
    "INFO RouteGuide server stopped",
  ]);
});

Deno.test("a call cancelled when the grace period runs out is logged as the server's doing", async () => {
  await using server = await startServerProcess(["--grace", "0.2"]);
  const client = new RouteGuideClient(server.address);
  const here = { latitude: 1, longitude: 1 };
  let release = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  // A chat whose client never ends its side; it gets the earlier note
  // back, so the server has the call in hand.
  async function* notes(): AsyncGenerator<RouteNote> {
    yield { location: here, message: "held" };
    await held;
  }
  try {
    await Array.fromAsync(client.routeChat([{ location: here, message: "a" }]));
    const chat = client.routeChat(notes())[Symbol.asyncIterator]();
    assert.equal((await chat.next()).value?.message, "a");
    const ended = chat.next().catch((error) => error);
    const { code } = await server.stop();
    assert.equal(code, 0);
    const output = server.lines().join("\n");
    assert.match(
      output,
      /^\S+ INFO call method=\/routeguide\.RouteGuide\/RouteChat .*code=CANCELLED .*details="cancelled by the server at shutdown \(grace period over\)"$/m,
    );
    assert.doesNotMatch(output, /cancelled by the client/);
    await ended;
  } finally {
    release();
    client.close();
  }
});

Deno.test({
  name:
    `under --workers a replaced worker is a logged line, and a doubled SIGINT stops once${
      skipped("redis-server")
    }`,
  ignore: !hasRedis,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "routeguide-ops-" });
    const redis = await RedisProcess.start(dir);
    const server = await ServerProcessWithWorkers.start([
      "--notes",
      redis.url(),
      "--workers",
      "2",
    ]);
    try {
      // One of the primary's children: a worker.
      const children = await new Deno.Command("pgrep", {
        args: ["-P", String(server.process.pid)],
      }).output();
      const worker = Number(
        new TextDecoder().decode(children.stdout).split("\n")[0],
      );
      Deno.kill(worker, "SIGKILL");
      await server.stdout.waitFor(
        /^\S+ WARN worker \d+ exited; starting another$/,
        server.status,
      );
      server.process.kill("SIGINT");
      server.process.kill("SIGINT");
      assert.equal((await server.status).code, 0);
      const stops = server.stdout.lines.filter((line) =>
        /SIGINT: shutting down/.test(line)
      );
      assert.deepEqual(stops.map((line) => line.replace(/^\S+ /, "")), [
        "INFO SIGINT: shutting down 2 workers",
      ]);
    } finally {
      await server.stop("SIGKILL");
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
