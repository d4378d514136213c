/**
 * The README's examples run as written (against this checkout): the library
 * example, the client's examples against a real server, and the quick
 * start's demo from a fresh copy, so the documentation cannot drift.
 */
import assert from "node:assert/strict";
import { REPO_ROOT, runDeno, startServerProcess } from "./helpers.ts";

Deno.test("the README's library example runs and prints what it promises", async () => {
  const readme = await Deno.readTextFile(
    new URL("../README.md", import.meta.url),
  );
  const library = readme.slice(readme.indexOf("## Library"));
  const example = /```ts\n([\s\S]*?)```/.exec(library)?.[1];
  assert.ok(example, "README has a ts example under ## Library");
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/example.ts`;
    await Deno.writeTextFile(
      file,
      example.replace(
        '"./mod.ts"',
        JSON.stringify(import.meta.resolve("../mod.ts")),
      ),
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-q",
        "-P",
        `--config=${new URL("../deno.json", import.meta.url).pathname}`,
        file,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.match(out, /name: "Paris, FR"/);
    assert.match(out, /^Paris, FR$/m);
    assert.match(out, /^738 m$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The README's lines under `heading`'s first sh block, comments dropped. */
function shLines(readme: string, heading: string): string[] {
  const section = readme.slice(readme.indexOf(heading));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, `README has an sh block under ${heading}`);
  return block.split("\n").map((line) => line.replace(/\s+#.*$/, ""))
    .filter((line) => line !== "");
}

/** printf's argument as the text it prints (the README uses only \n). */
function printfText(quoted: string): string {
  return quoted.replaceAll("\\n", "\n");
}

Deno.test("the README's client examples work as written, each exit 0 with nothing on stderr", async () => {
  const readme = await Deno.readTextFile(
    new URL("../README.md", import.meta.url),
  );
  await using server = await startServerProcess([]);
  // The user stands in a directory of their own (where route.txt goes);
  // deno task would set INIT_CWD there, as it does not under deno task test.
  const cwd = await Deno.makeTempDir();
  const outputs: string[][] = [];
  try {
    for (const line of shLines(readme, "## Client")) {
      const written = /^printf '(.*)' > (\S+)$/.exec(line);
      if (written) {
        await Deno.writeTextFile(
          `${cwd}/${written[2]}`,
          printfText(written[1]),
        );
        continue;
      }
      const piped = /^(?:printf '(.*)' \| )?deno task client (.*)$/.exec(line);
      assert.ok(piped, `an example the test knows how to run: ${line}`);
      const run = await runDeno(
        [
          "task",
          "-q",
          "--config",
          `${REPO_ROOT}/deno.json`,
          "client",
          "--addr",
          server.address,
          ...piped[2].split(" "),
        ],
        printfText(piped[1] ?? ""),
        { cwd, env: { INIT_CWD: cwd } },
      );
      assert.deepEqual([run.code, run.stderr], [0, ""], line);
      outputs.push(run.stdout);
    }
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
  const [feature, list, area, file, chat, typed] = outputs;
  assert.deepEqual(feature, [
    "Feature called 'Cos Cob, US' at (lat=410334300, lng=-735995700)",
  ]);
  // As many as the demo's ListFeatures finds, which the README gives.
  const places = /\((\d+) with the default database\)/.exec(readme)?.[1];
  assert.equal(list.length, Number(places));
  assert.equal(JSON.parse(list[0]).name, "Cos Cob, US");
  assert.deepEqual(area.slice(-4, -2), [
    "Finished trip with 3 points",
    "Passed 3 features",
  ]);
  assert.deepEqual(file.slice(0, 2), [
    "Visiting point (lat=488534100, lng=23488000)",
    "Visiting point (lat=508504500, lng=43487800)",
  ]);
  assert.deepEqual(file.slice(-4, -2), [
    "Finished trip with 2 points",
    "Passed 2 features",
  ]);
  assert.deepEqual(
    chat.at(-1),
    "< Found previous note at (lat=10000000, lng=10000000): hello",
  );
  // Interactive chat at once given end of input: nothing sent, nothing back.
  assert.deepEqual(typed, []);
});

Deno.test("from a fresh copy, the quick start's demo prints nothing on stderr but deno task's own line", async () => {
  // A directory deno has never run in: a first run there is where npm
  // packages' skipped build scripts were warned about.
  const copy = await Deno.makeTempDir();
  try {
    for (
      const path of [
        "deno.json",
        "deno.lock",
        "mod.ts",
        "lib",
        "tools",
        "protos",
      ]
    ) {
      await new Deno.Command("cp", {
        args: ["-r", `${REPO_ROOT}/${path}`, copy],
      })
        .output();
    }
    const run = await runDeno(["task", "demo"], undefined, {
      cwd: copy,
      env: { NO_COLOR: "1", INIT_CWD: copy },
    });
    assert.equal(run.stderr, "Task demo deno run -q -P tools/demo.ts\n");
    assert.equal(run.code, 0);
    assert.match(run.stdout[0], /^RouteGuide server listening on /);
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});
