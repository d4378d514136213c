/**
 * A client that stops reading must not grow server memory without bound.
 *
 * Raw HTTP/2 clients send a call and then never read their socket: a
 * ListFeatures for a 200,000-feature database (80 MB of answer each), or a
 * RouteChat with as many notes at one place as the initial window allows
 * (each answered with all earlier ones, about 40 MB). Deno 2.9.3 ignores
 * the HTTP/2 flow-control window (a compliant server would stop at the
 * client's 65,535 bytes) and takes what the server writes whether or not
 * the socket does: with keepalive at 3 s instead of 1 s, a whole 80 MB
 * ListFeatures answer is written to a client that never reads. What ends a
 * stalled call is keepalive, which finds the peer dead; the memory then
 * comes back. Run in a subprocess so that the heap can be measured after a
 * full GC; the figures are printed.
 */
import assert from "node:assert/strict";

const CLIENTS = 5;
const ROUNDS = 3;

interface Figures {
  sent: number;
  responseBytes: number;
  baselineHeapMB: number;
  afterRounds: number[];
  peerClosed: number;
  calls: { code: string; in: number; out: number; ms: number }[];
}

async function probe(
  mode: "list" | "chat",
  features: number,
): Promise<Figures> {
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--v8-flags=--expose-gc",
      "-P=test",
      "tests/_memory_probe.ts",
      mode,
      String(features),
      String(CLIENTS),
      String(ROUNDS),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(success, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

const range = (values: number[]) =>
  `${Math.min(...values)}-${Math.max(...values)}`;

function report(figures: Figures, what: string): void {
  console.log(
    [
      `${CLIENTS} stalled clients x ${ROUNDS} rounds: ${what}`,
      `calls ended ${[
        ...new Set(figures.calls.map((c) => c.code)),
      ]} after at most ` +
      `${
        Math.max(...figures.calls.map((c) => c.ms)).toFixed(0)
      } ms (keepalive 0.5 s + 0.5 s)`,
      `heap after GC: ${figures.baselineHeapMB.toFixed(1)} MB before, ` +
      `${
        figures.afterRounds.map((h) => h.toFixed(1)).join(", ")
      } MB after each round`,
    ].join("\n"),
  );
}

/** Every call ended by keepalive, every connection closed, no heap growth. */
function assertReturned(figures: Figures): void {
  assert.equal(figures.calls.length, CLIENTS * ROUNDS);
  assert.ok(figures.calls.every((call) => call.code === "CANCELLED"));
  assert.equal(figures.peerClosed, CLIENTS * ROUNDS);
  const [first, ...later] = figures.afterRounds;
  for (const heap of later) {
    assert.ok(heap - first < 8, `heap grew to ${heap} MB from ${first} MB`);
  }
  assert.ok(
    first - figures.baselineHeapMB < 16,
    `heap grew by ${first - figures.baselineHeapMB} MB`,
  );
}

Deno.test("ListFeatures to clients that stop reading: bounded, and returned once keepalive drops them", async () => {
  const features = 200_000;
  const figures = await probe("list", features);
  const outs = figures.calls.map((call) => call.out);
  const perFeature = figures.responseBytes / features;
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  report(
    figures,
    `answer ${
      mb(figures.responseBytes)
    } MB each; written before keepalive ended the call: ` +
      `${range(outs)} features (${mb(Math.min(...outs) * perFeature)}-` +
      `${
        mb(Math.max(...outs) * perFeature)
      } MB; HTTP/2 flow control would stop at 64 KiB)`,
  );
  assertReturned(figures);
});

Deno.test("RouteChat with clients that stop reading: the server stops reading too, and memory returns", async () => {
  const figures = await probe("chat", 0);
  const ins = figures.calls.map((call) => call.in);
  report(
    figures,
    `${figures.sent} notes sent each; read ${range(ins)} of them and wrote ` +
      `${range(figures.calls.map((call) => call.out))} notes before waiting`,
  );
  assertReturned(figures);
  // Blocked writes hold the handler, so it stops taking notes in.
  assert.ok(
    Math.max(...ins) < figures.sent,
    `a call read all ${figures.sent} notes`,
  );
});
