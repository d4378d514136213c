import assert from "node:assert/strict";
import { REPO_ROOT } from "./helpers.ts";

Deno.test("the page's script in lib/web/static matches a fresh deno task bundle", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { success, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "tools/bundle.ts", "--out", out],
      cwd: REPO_ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(success, new TextDecoder().decode(stderr));
    const diff = await new Deno.Command("diff", {
      args: ["-q", `${out}/app.js`, "lib/web/static/app.js"],
      cwd: REPO_ROOT,
    }).output();
    assert.equal(
      diff.code,
      0,
      `lib/web/static/app.js drifted from web/; run deno task bundle:\n${
        new TextDecoder().decode(diff.stdout)
      }`,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
