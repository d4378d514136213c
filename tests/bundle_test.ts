/**
 * The page on the web port: its script is the bundle of web/ as committed,
 * and the port serves it, its HTML and CSS as they are on disk.
 */
import assert from "node:assert/strict";
import {
  createRouteGuide,
  FeatureDatabase,
  MemoryNoteBoard,
  startWebServer,
} from "../mod.ts";
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

Deno.test("the web port serves the page and its assets, GET and HEAD, with ETags, and nothing else as the page", async () => {
  const handlers = createRouteGuide({
    features: new FeatureDatabase([]),
    notes: new MemoryNoteBoard(),
  });
  const web = await startWebServer({ handlers, host: "127.0.0.1", port: 0 });
  try {
    const files = {
      "/": ["index.html", "text/html; charset=utf-8"],
      "/app.js": ["app.js", "text/javascript; charset=utf-8"],
      "/style.css": ["style.css", "text/css; charset=utf-8"],
    };
    for (const [path, [file, type]] of Object.entries(files)) {
      const bytes = await Deno.readFile(`${REPO_ROOT}lib/web/static/${file}`);
      const get = await fetch(`${web.url}${path}`);
      assert.equal(get.status, 200, path);
      assert.equal(get.headers.get("content-type"), type);
      assert.equal(get.headers.get("cache-control"), "no-cache");
      assert.deepEqual(new Uint8Array(await get.arrayBuffer()), bytes);
      const etag = get.headers.get("etag")!;
      assert.match(etag, /^"[0-9a-f]{8}-\d+"$/);

      const head = await fetch(`${web.url}${path}`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("content-length"), String(bytes.length));
      assert.equal(head.headers.get("etag"), etag);
      assert.equal(await head.text(), "");

      const again = await fetch(`${web.url}${path}`, {
        headers: { "if-none-match": etag },
      });
      assert.equal(again.status, 304);
      await again.body?.cancel();
    }
    const page = await fetch(`${web.url}/`);
    assert.match(
      page.headers.get("content-security-policy")!,
      /default-src 'self'/,
    );
    await page.body?.cancel();
    for (
      const [method, path] of [
        ["GET", "/index.html"],
        ["GET", "/static/app.js"],
        ["POST", "/"],
        ["PUT", "/app.js"],
      ]
    ) {
      const other = await fetch(`${web.url}${path}`, { method });
      assert.notEqual(other.status, 200, `${method} ${path}`);
      assert.equal(other.headers.get("etag"), null, `${method} ${path}`);
      await other.body?.cancel();
    }
  } finally {
    await web.close();
  }
});
