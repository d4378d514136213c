/**
 * What an operator and a user see when things happen to a running server,
 * through the real processes: Redis dropping and coming back (one log line
 * each, and a client line saying the server answered), the listening line
 * at every log level, one shutdown line for a doubled Ctrl-C, and a call
 * still running at the end of the grace period ended by the server with a
 * status that says so, which the client tells its user in one line.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  pointFromDegrees,
  RouteGuideClient,
  RouteGuideError,
  type RouteNote,
  Status,
} from "../mod.ts";
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

Deno.test("a call still running when the grace period runs out ends UNAVAILABLE, logged as the server's doing", async () => {
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
    assert.match(
      server.lines().join("\n"),
      /^\S+ INFO call method=\/routeguide\.RouteGuide\/RouteChat .*code=UNAVAILABLE .*details="the server shut down before the call finished"$/m,
    );
    const error = await ended;
    assert.ok(error instanceof RouteGuideError, String(error));
    assert.equal(error.code, Status.UNAVAILABLE);
    assert.equal(
      error.message,
      "the server shut down before the call finished",
    );
  } finally {
    release();
    client.close();
  }
});

Deno.test("a client too slow to take its answers before the cut is told the server ended the call", async () => {
  await using server = await startServerProcess(["--grace", "0.2"]);
  const list = new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "-q", "-P", "client.ts", "--addr", server.address],
      ...["list", "-90", "-180", "90", "180"],
    ],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(list.stderr).text();
  const output = list.stdout.getReader();
  try {
    await output.read(); // the server is answering
    // Unread, the client's stdout fills and it stops reading the call, so
    // the server's status is stuck behind its answers until the cut.
    assert.equal((await server.stop()).code, 0);
    assert.match(
      server.lines().join("\n"),
      /^\S+ INFO call method=\/routeguide\.RouteGuide\/ListFeatures .*code=UNAVAILABLE .*details="the server shut down before the call finished"$/m,
    );
  } finally {
    while (!(await output.read()).done) { /* the rest of the answers */ }
  }
  // Which of the two the client hears depends on how far it read when
  // the cut came; grpc-js tells a cut as CANCELLED or UNAVAILABLE.
  const { code } = await list.status;
  assert.equal(code, 1);
  const at = server.address;
  assert.ok(
    [
      `routeguide client: UNAVAILABLE: the server at ${at} shut down before the call finished (try again once it is back)\n`,
      `routeguide client: UNAVAILABLE: the connection to ${at} was cut before the call finished (the server may have stopped; try again once it is back)\n`,
      `routeguide client: CANCELLED: the connection to ${at} was cut before the call finished (the server may have stopped; try again once it is back)\n`,
    ].includes(await stderr),
    await stderr,
  );
});

/** Whether `script` (util-linux) can give a command a terminal. */
const hasScript = await new Deno.Command("script", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
}).output().then(({ success }) => success, () => false);

Deno.test({
  name: `the client of a chat the server ends at shutdown says so in one line${
    hasScript ? "" : " (skipped: script (util-linux) not installed)"
  }`,
  ignore: !hasScript,
  async fn() {
    await using server = await startServerProcess(["--grace", "0.2"]);
    const here = pointFromDegrees(1, 1); // where "1 1" typed below is
    const client = new RouteGuideClient(server.address);
    try {
      await Array.fromAsync(
        client.routeChat([{ location: here, message: "earlier" }]),
      );
    } finally {
      client.close();
    }
    // Typed notes (from a terminal) keep the chat open; piped ones end it.
    const chat = new Deno.Command("script", {
      args: [
        "-qec",
        `'${Deno.execPath()}' run -q -P client.ts --addr ${server.address} chat --timeout 0`,
        "/dev/null",
      ],
      cwd: REPO_ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const typing = chat.stdin.getWriter();
    const output = chat.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    try {
      await typing.write(new TextEncoder().encode("1 1 held\n"));
      // The earlier note back: the server has the call in hand.
      while (!text.includes("< Found previous note")) {
        const { value, done } = await output.read();
        if (done) throw new Error(`the chat ended: ${text}`);
        text += value;
      }
      assert.equal((await server.stop()).code, 0);
      for (let r = await output.read(); !r.done; r = await output.read()) {
        text += r.value;
      }
      const { code } = await chat.status;
      const said = text.split(/\r?\n/).filter((line) =>
        line.startsWith("routeguide client:")
      );
      assert.deepEqual({ code, said }, {
        code: 1,
        said: [
          `routeguide client: UNAVAILABLE: the server at ${server.address} shut down before the call finished (try again once it is back)`,
        ],
      });
    } finally {
      await typing.close().catch(() => {});
      try {
        chat.kill("SIGKILL");
      } catch {
        // Exited already.
      }
      await chat.status;
    }
  },
});

Deno.test({
  name:
    `under --workers every line is a whole log line, in order; a replaced worker is logged, and a doubled SIGINT stops once${
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
      "--log-format",
      "json",
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
        /"level":"warn",.*"msg":"worker \d+ exited \(SIGKILL\); starting another"/,
        server.status,
      );
      // Until then, a signal would kill the replacement where it stands.
      await server.stdout.waitFor(
        /"level":"info",.*"msg":"worker \d+ ready, in place of worker \d+"/,
        server.status,
      );
      server.process.kill("SIGINT");
      server.process.kill("SIGINT");
      assert.equal((await server.status).code, 0);
      const lines = server.stdout.lines.filter((line) => line !== "").map(
        (line) => JSON.parse(line),
      );
      for (const line of lines) {
        assert.match(line.time, /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
        assert.ok(["info", "warn"].includes(line.level), line.level);
      }
      // Each worker's own two lines, between the primary's first and last.
      const [killed] = lines[1].msg.match(/\d+/);
      const [replacement] = lines[2].msg.match(/\d+/);
      const byWorker = new Map<number, string[]>();
      for (const line of lines.slice(4, -1)) {
        assert.equal(typeof line.worker, "number", line.msg);
        byWorker.set(line.worker, [
          ...byWorker.get(line.worker) ?? [],
          line.msg,
        ]);
      }
      assert.equal(byWorker.size, 2);
      assert.ok(byWorker.has(Number(replacement)));
      assert.ok(!byWorker.has(Number(killed)));
      for (const told of byWorker.values()) {
        assert.deepEqual(told, [
          "SIGTERM: shutting down (grace 5 s)",
          "RouteGuide server stopped",
        ]);
      }
      const told = lines.map((line) => line.worker ?? line.msg);
      assert.deepEqual([...told.slice(0, 4), told.at(-1)], [
        lines[0].msg,
        `worker ${killed} exited (SIGKILL); starting another`,
        `worker ${replacement} ready, in place of worker ${killed}`,
        "SIGINT: shutting down 2 workers",
        "RouteGuide server stopped",
      ]);
      assert.match(
        lines[0].msg,
        /^RouteGuide server listening on 127\.0\.0\.1:\d+ with 2 workers$/,
      );
    } finally {
      await server.stop("SIGKILL");
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
