/**
 * The README's library example runs as written (against this checkout's
 * mod.ts), so the documentation cannot drift from the API.
 */
import assert from "node:assert/strict";

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
