/**
 * The browser page on the web port: `GET /` and its two assets, from
 * `lib/web/static/`: `index.html`, `style.css` and `app.js` (bundled from
 * `web/` by `deno task bundle`). Each file is fetched from next to this
 * module on its first request (a file here, https from JSR) and kept in
 * memory with its ETag.
 *
 * @module
 */

interface Asset {
  file: string;
  type: string;
  body?: Uint8Array<ArrayBuffer>;
  etag?: string;
}

const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ["/", { file: "index.html", type: "text/html; charset=utf-8" }],
  ["/app.js", { file: "app.js", type: "text/javascript; charset=utf-8" }],
  ["/style.css", { file: "style.css", type: "text/css; charset=utf-8" }],
]);

// The page loads its script, style and calls from this origin only.
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

/**
 * The response for a `GET` or `HEAD` of the page or one of its assets, or
 * `undefined` for any other request (the caller routes it). Asset names
 * are not content-hashed, so browsers revalidate (`no-cache`) and get
 * `304 Not Modified` while the ETag matches.
 *
 * @example The page, its script, and a request that is not the page's
 * ```ts
 * import assert from "node:assert/strict";
 * import { pageResponse } from "./page.ts";
 * const page = (await pageResponse(new Request("http://localhost/")))!;
 * assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
 * assert.match(await page.text(), /<script type="module" src="\/app.js">/);
 * const script = (await pageResponse(new Request("http://localhost/app.js")))!;
 * const again = (await pageResponse(
 *   new Request("http://localhost/app.js", {
 *     headers: { "if-none-match": script.headers.get("etag")! },
 *   }),
 * ))!;
 * assert.equal(again.status, 304);
 * await script.body?.cancel();
 * assert.equal(pageResponse(new Request("http://localhost/", { method: "POST" })), undefined);
 * assert.equal(pageResponse(new Request("http://localhost/routeguide.RouteGuide/GetFeature")), undefined);
 * ```
 */
export function pageResponse(
  request: Request,
): Promise<Response> | undefined {
  // RPCs are POSTs: they leave before the URL is parsed.
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  const asset = ASSETS.get(new URL(request.url).pathname);
  return asset && respond(request, asset);
}

async function respond(request: Request, asset: Asset): Promise<Response> {
  let body: Uint8Array<ArrayBuffer>;
  try {
    body = asset.body ??= await load(asset.file);
  } catch (error) {
    return new Response(
      `the page is not available (${asset.file}: ${
        error instanceof Error ? error.message : error
      }); run deno task bundle\n`,
      { status: 500, headers: { "content-type": "text/plain" } },
    );
  }
  const etag = asset.etag ??= `"${fnv1a(body)}-${body.length}"`;
  const headers: Record<string, string> = {
    "content-type": asset.type,
    "cache-control": "no-cache",
    "etag": etag,
    "x-content-type-options": "nosniff",
    "content-security-policy": CONTENT_SECURITY_POLICY,
  };
  if (request.headers.get("if-none-match") === etag) {
    return new Response(null, { status: 304, headers });
  }
  headers["content-length"] = String(body.length);
  return new Response(request.method === "HEAD" ? null : body, { headers });
}

// Fetched, not read: imported from JSR, this module's URL is https.
async function load(file: string): Promise<Uint8Array<ArrayBuffer>> {
  const response = await fetch(new URL(`static/${file}`, import.meta.url));
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`${response.status} ${response.statusText}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** A 32-bit FNV-1a hash, in hex: enough to tell builds apart. */
function fnv1a(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}
