/**
 * A client that stops reading must not grow server memory without bound.
 *
 * Clients that send ListFeatures for a 200,000-feature database (19 MB of
 * answer each) over raw HTTP/2 and then never read their socket. Deno 2.9.3
 * ignores the HTTP/2 flow-control window (a compliant server would stop at
 * the client's 65,535 bytes), but the drain-aware writer still stops once
 * the socket stops taking data, keepalive then finds the peer dead and
 * ends the call, and the memory comes back. Run in a subprocess so the heap
 * can be measured after a full GC; the figures are printed.
 */
import assert from "node:assert/strict";

const FEATURES = 200_000;
const CLIENTS = 5;
const ROUNDS = 4;

interface Figures {
  responseBytes: number;
  baselineHeapMB: number;
  afterRounds: number[];
  peerClosed: number;
  calls: { code: string; out: number; ms: number }[];
}

Deno.test("clients that stop reading cost bounded memory, returned once keepalive drops them", async () => {
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--v8-flags=--expose-gc",
      "-P=test",
      "tests/_memory_probe.ts",
      String(FEATURES),
      String(CLIENTS),
      String(ROUNDS),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(success, new TextDecoder().decode(stderr));
  const figures: Figures = JSON.parse(new TextDecoder().decode(stdout));
  const outs = figures.calls.map((call) => call.out);
  const perMessage = figures.responseBytes / FEATURES;
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  console.log(
    [
      `${CLIENTS} stalled clients x ${ROUNDS} rounds, answer ${
        mb(figures.responseBytes)
      } MB each`,
      `written per stalled call before the socket stopped taking data: ` +
      `${Math.min(...outs)}-${Math.max(...outs)} of ${FEATURES} features ` +
      `(${mb(Math.min(...outs) * perMessage)}-${
        mb(Math.max(...outs) * perMessage)
      } MB; ` +
      `HTTP/2 flow control would have stopped at 64 KiB)`,
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
  assert.equal(figures.calls.length, CLIENTS * ROUNDS);
  // Keepalive found every peer dead and ended its call; each connection closed.
  assert.ok(figures.calls.every((call) => call.code === "CANCELLED"));
  assert.equal(figures.peerClosed, CLIENTS * ROUNDS);
  // Each call stopped when the socket did, far short of its whole answer.
  assert.ok(
    Math.max(...outs) < FEATURES / 2,
    `a call wrote ${Math.max(...outs)} features`,
  );
  // Nothing stays behind: the heap does not grow from round to round.
  const [first, ...later] = figures.afterRounds;
  for (const heap of later) {
    assert.ok(heap - first < 8, `heap grew to ${heap} MB from ${first} MB`);
  }
  assert.ok(
    first - figures.baselineHeapMB < 16,
    `heap grew by ${first - figures.baselineHeapMB} MB`,
  );
});
