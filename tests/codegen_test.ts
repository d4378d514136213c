import assert from "node:assert/strict";

Deno.test("generated code in lib/gen matches a fresh codegen run", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { success, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "tools/codegen.ts", "--out", out],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(success, new TextDecoder().decode(stderr));
    const diff = await new Deno.Command("diff", {
      args: ["-r", out, "lib/gen"],
    }).output();
    assert.equal(
      diff.code,
      0,
      `lib/gen drifted from protos/; run deno task codegen:\n${
        new TextDecoder().decode(diff.stdout)
      }`,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
