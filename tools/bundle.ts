/**
 * Builds the browser page from `web/` into `lib/web/static/`: `app.js`, the
 * TypeScript type-checked and bundled for the browser by `deno bundle`
 * (minified; every dependency inlined, the world map's data included, so
 * the page needs nothing but the server), and `index.html` and `style.css`
 * as they are. The output is committed; tests/bundle_test.ts fails when it
 * drifts from `web/`.
 *
 * Usage: deno task bundle [--out DIR]
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { out: { type: "string", default: "lib/web/static" } },
});
const out = values.out!;
const web = new URL("../web/", import.meta.url);

await Deno.mkdir(out, { recursive: true });
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
    new URL("main.ts", web).pathname,
  ],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (!success) Deno.exit(1);
for (const file of ["index.html", "style.css"]) {
  await Deno.copyFile(new URL(file, web), `${out}/${file}`);
}
