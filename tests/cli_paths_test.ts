/**
 * Paths and addresses as a user types them: `deno task client|serve` run
 * from another directory reads relative files from there, every file flag
 * refuses a file it cannot read in one wording, and `--addr` without a
 * host or a port means what the user expects.
 */
import assert from "node:assert/strict";
import { parseClientArgs } from "../lib/cli/client_flags.ts";
import { feature, REPO_ROOT, startTestServer } from "./helpers.ts";

/**
 * `deno task TASK ARGS` run from `dir` as a user would (`--cwd` points at
 * the repository); INIT_CWD is left for deno task to set, not inherited
 * from the `deno task test` running this. Stderr without deno task's own
 * `Task ...` echo.
 */
async function task(dir: string, task: string, args: string[]) {
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--cwd", REPO_ROOT, task, ...args],
    cwd: dir,
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = (bytes: Uint8Array) =>
    // deno-lint-ignore no-control-regex
    new TextDecoder().decode(bytes).replace(/\x1b\[[0-9;]*m/g, "")
      .split("\n").filter((l) => l !== "");
  return {
    code,
    stdout: lines(stdout),
    stderr: lines(stderr).filter((l) => !l.startsWith("Task ")),
  };
}

Deno.test("record --file reads a relative path from where the user stands", async () => {
  const dir = await Deno.makeTempDir();
  await using server = await startTestServer([feature("Here", 1, 2)]);
  try {
    await Deno.writeTextFile(`${dir}/route.txt`, "0.0000001 0.0000002\n");
    const run = await task(dir, "client", [
      "--addr",
      server.server.address,
      "record",
      "--file",
      "route.txt",
    ]);
    assert.equal(run.code, 0, run.stderr.join("\n"));
    assert.deepEqual(run.stderr, []);
    assert.equal(run.stdout[0], "Visiting point (lat=1, lng=2)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --db reads a relative path from where the user stands", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // An entry the server refuses, so it exits at once naming the file.
    await Deno.writeTextFile(`${dir}/db.json`, '[{"location": "nowhere"}]');
    const run = await task(dir, "serve", ["--port", "0", "--db", "db.json"]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.length, 1, run.stderr.join("\n"));
    assert.ok(
      run.stderr[0].startsWith(`routeguide server: ${dir}/db.json: entry `),
      run.stderr[0],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a relative TLS file is read from where the user stands", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ca.crt`, "not a certificate\n");
    const run = await task(dir, "client", [
      "--ca",
      "ca.crt",
      "feature",
      "1",
      "1",
    ]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.length, 1, run.stderr.join("\n"));
    assert.match(run.stderr[0], new RegExp(`--ca ${dir}/ca\\.crt\\b`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every file flag refuses a file it cannot read in one line, exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A file that is there, for flags that need another one given.
    await Deno.writeTextFile(`${dir}/here.pem`, "");
    const cases: [string, string[], string][] = [
      [
        "serve",
        ["--db", "./x.json"],
        "cannot read --db ./x.json: no such file",
      ],
      ["serve", ["--db", "."], "cannot read --db .: is a directory"],
      [
        "serve",
        ["--tls-cert", "s.crt", "--tls-key", "s.key"],
        "cannot read --tls-cert s.crt: no such file",
      ],
      [
        "serve",
        ["--tls-cert", "here.pem", "--tls-key", "s.key"],
        "cannot read --tls-key s.key: no such file",
      ],
      [
        "serve",
        [
          "--tls-cert",
          "here.pem",
          "--tls-key",
          "here.pem",
          "--tls-client-ca",
          "ca.crt",
        ],
        "cannot read --tls-client-ca ca.crt: no such file",
      ],
      [
        "serve",
        ["--token-file", "token"],
        "cannot read --token-file token: no such file",
      ],
      ["client", ["--ca", "ca.crt"], "cannot read --ca ca.crt: no such file"],
      ["client", ["--cert", "c.crt"], "cannot read --cert c.crt: no such file"],
      ["client", ["--key", "c.key"], "cannot read --key c.key: no such file"],
      [
        "client",
        ["--token-file", "token"],
        "cannot read --token-file token: no such file",
      ],
      [
        "client",
        ["record", "--file", "route.txt"],
        "record: cannot read --file route.txt: no such file",
      ],
    ];
    const runs = await Promise.all(
      cases.map(([name, args]) => task(dir, name, args)),
    );
    for (const [i, run] of runs.entries()) {
      const [name, , line] = cases[i];
      const program = name === "serve" ? "server" : "client";
      assert.equal(run.code, 2, `${cases[i][1].join(" ")}: ${run.stderr}`);
      assert.deepEqual(run.stderr, [`routeguide ${program}: ${line}`]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--addr without a host dials localhost at once", async () => {
  await using server = await startTestServer([feature("Here", 1, 2)]);
  const port = server.server.address.split(":").at(-1);
  const run = await task(Deno.cwd(), "client", [
    "--addr",
    `:${port}`,
    "--timeout",
    "5",
    "feature",
    "0.0000001",
    "0.0000002",
  ]);
  assert.equal(run.code, 0, run.stderr.join("\n"));
  assert.deepEqual(run.stdout, ["Feature called 'Here' at (lat=1, lng=2)"]);
});

Deno.test("--addr completes each entry: no port is 50051, never gRPC's 443", () => {
  const addr = (text: string) => {
    const request = parseClientArgs(["--addr", text]);
    assert.ok(!("help" in request));
    return request.values.addr;
  };
  assert.equal(addr("localhost"), "localhost:50051");
  assert.equal(addr("example.com"), "example.com:50051");
  assert.equal(addr(":20404"), "localhost:20404");
  assert.equal(addr("[::1]"), "[::1]:50051");
  assert.equal(addr("::1"), "[::1]:50051");
  assert.equal(addr("127.0.0.1, :7"), "127.0.0.1:50051,localhost:7");
  assert.equal(addr("dns:localhost:1"), "dns:localhost:1");
});
