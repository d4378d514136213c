/**
 * A program outside the repository imports routeguide as a JSR consumer
 * does, and runs a server and a client with it. jsr.io is not needed: the
 * test builds a Deno workspace in a temporary directory whose members are
 * the files `deno publish` ships (the package) and `tests/jsr_consumer/`
 * (the app, with its own deno.json). The app imports
 * `jsr:@routeguide/routeguide@^0.1.0`, which Deno resolves to the package
 * member; the package's bare specifiers (kdbush, @grpc/grpc-js, ...) then
 * resolve through the package's own deno.json, as on JSR, never the app's.
 * A file missing from the publish set, or a dependency missing from the
 * package's import map, fails here.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { REPO_ROOT } from "./helpers.ts";

/** `deno ARGS` run from `cwd`, with uncoloured output for matching. */
async function deno(cwd: string, args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** Copies `paths` (relative to `from`) to the same paths under `to`. */
async function copyFiles(from: string, to: string, paths: string[]) {
  for (const path of paths) {
    await Deno.mkdir(dirname(`${to}/${path}`), { recursive: true });
    await Deno.copyFile(`${from}/${path}`, `${to}/${path}`);
  }
}

/** What the app prints when all works. */
const WORKS = "Paris, FR; in France: Lyon, FR, Paris, FR\n" +
  "page: / 200 true, /app.js 200 true, /style.css 200 true\n";

/** The files `deno publish` would ship, relative to the repository. */
async function publishSet(): Promise<string[]> {
  // Publishable as is (slow types included), and the files it would ship,
  // listed one `file:///... (size)` line each on stderr.
  const publish = await deno(REPO_ROOT, [
    "publish",
    "--dry-run",
    "--allow-dirty",
  ]);
  assert.equal(publish.code, 0, publish.stderr);
  const shipped = [...publish.stderr.matchAll(/^\s+(file:\S+) \(/gm)].map(
    ([, url]) => new URL(url).pathname.slice(REPO_ROOT.length),
  );
  assert.ok(shipped.includes("mod.ts"), publish.stderr);
  assert.ok(shipped.includes("deno.json"), publish.stderr);
  assert.ok(!shipped.some((path) => path.startsWith("tests/")), publish.stderr);
  return shipped;
}

/**
 * Runs the app in `cwd` with what a consumer grants (grpc-js reads GRPC_*
 * variables, uid and gid; grpc-health-check reads its .proto from the npm
 * cache) and `flags`; fails unless it prints {@link WORKS}.
 */
async function runApp(cwd: string, flags: string[]): Promise<void> {
  const app = await deno(cwd, [
    "run",
    "-q",
    ...flags,
    "--allow-net=127.0.0.1",
    "--allow-env",
    "--allow-read",
    "--allow-sys=uid,gid",
    "main.ts",
  ]);
  assert.equal(app.code, 0, app.stderr);
  assert.equal(app.stdout, WORKS);
}

Deno.test("a program outside the repository imports the package by its JSR name and runs a server, a client and the page", async () => {
  const shipped = await publishSet();
  const dir = await Deno.makeTempDir();
  try {
    await copyFiles(REPO_ROOT, `${dir}/routeguide`, shipped);
    await copyFiles(`${REPO_ROOT}tests/jsr_consumer`, `${dir}/app`, [
      "deno.json",
      "main.ts",
    ]);
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify({ workspace: ["./routeguide", "./app"] }),
    );
    // The repository's lock pins the npm packages to the versions its own
    // tests have cached, so the app runs without fetching any. It pins
    // versions only: where a bare specifier points is the import maps' say.
    await Deno.copyFile(`${REPO_ROOT}deno.lock`, `${dir}/deno.lock`);
    // Type-checked as the consumer's own program would be.
    await runApp(`${dir}/app`, ["--check"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the package imported over HTTP, as from jsr.io (its modules' URLs are not file:), serves the page too", async () => {
  const shipped = new Set(await publishSet());
  // The publish set over HTTP on a free loopback port.
  const types: Record<string, string> = {
    ts: "application/typescript",
    js: "text/javascript",
    json: "application/json",
    css: "text/css",
    html: "text/html",
  };
  await using files = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const path = new URL(request.url).pathname.slice(1);
      if (!shipped.has(path)) return new Response(null, { status: 404 });
      return new Response(await Deno.readFile(`${REPO_ROOT}${path}`), {
        headers: { "content-type": types[path.split(".").at(-1)!] },
      });
    },
  );
  const origin = `http://127.0.0.1:${files.addr.port}`;
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(
      `${REPO_ROOT}tests/jsr_consumer/main.ts`,
      `${dir}/main.ts`,
    );
    // Over HTTP the package's bare specifiers resolve through the app's
    // import map (JSR rewrites them at publish time): the package's own.
    const { imports } = JSON.parse(
      await Deno.readTextFile(`${REPO_ROOT}deno.json`),
    );
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify({
        imports: { ...imports, "@routeguide/routeguide": `${origin}/mod.ts` },
      }),
    );
    await Deno.copyFile(`${REPO_ROOT}deno.lock`, `${dir}/deno.lock`);
    await runApp(dir, [
      "--no-check",
      `--allow-import=127.0.0.1:${files.addr.port}`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
