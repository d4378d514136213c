/**
 * Builds the browser page's script: `web/main.ts`, type-checked and bundled
 * for the browser by `deno bundle` (minified; every dependency inlined, the
 * world map's data included, so the page needs nothing but the server)
 * into `lib/web/static/app.js`, next to the page's `index.html` and
 * `style.css`. The output is committed; tests/bundle_test.ts fails when it
 * drifts from `web/`.
 *
 * Usage: deno task bundle [--out DIR]
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { out: { type: "string", default: "lib/web/static" } },
});
const out = values.out!;

const { success } = await new Deno.Command(Deno.execPath(), {
  args: [
    "bundle",
    "-q",
    "--check",
    "--platform",
    "browser",
    "--minify",
    "-o",
    `${out}/app.js`,
    new URL("../web/main.ts", import.meta.url).pathname,
  ],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (!success) Deno.exit(1);
