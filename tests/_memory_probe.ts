/**
 * Measures what clients that stop reading cost a server; run by
 * memory_test.ts as `deno run --v8-flags=--expose-gc -P=test
 * tests/_memory_probe.ts list|chat FEATURES CLIENTS ROUNDS`, so that the
 * heap can be measured after a full GC. Prints one JSON object with the
 * figures.
 *
 * Each round opens CLIENTS connections that then never read, waits until
 * the server has ended every call (keepalive finds the peers dead), and
 * measures the heap. `list`: each asks ListFeatures for the whole
 * database. `chat`: each sends RouteChat as many notes at one place as the
 * initial HTTP/2 window allows, every one answered by all earlier ones.
 *
 * @module
 */
import {
  FeatureDatabase,
  type Logger,
  MemoryNoteBoard,
  startServer,
} from "../mod.ts";
import { routeGuideServerDefinition } from "../lib/grpc/service_definition.ts";
import { routeGuideServiceDefinition } from "../lib/grpc/proto.ts";
import { WORLD } from "./_prod_helpers.ts";
import { INITIAL_WINDOW, readUntilClosed, stalledCall } from "./_raw_http2.ts";

const mode = Deno.args[0] as "list" | "chat";
const [features, clients, rounds] = Deno.args.slice(1).map(Number);
const gc = (globalThis as unknown as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");

const NAME_BYTES = 400;
const database = new FeatureDatabase(
  Array.from({ length: features }, (_, i) => ({
    name: `feature ${i} `.padEnd(NAME_BYTES, "x"),
    location: {
      latitude: (i % 1000) * 100,
      longitude: Math.floor(i / 1000) * 100,
    },
  })),
);
const method = mode === "list" ? "ListFeatures" : "RouteChat";
const request = mode === "list"
  ? routeGuideServiceDefinition.ListFeatures.requestSerialize(WORLD)
  : routeGuideServiceDefinition.RouteChat.requestSerialize({
    location: { latitude: 7, longitude: 7 },
    message: "x".repeat(40),
  });
const copies = mode === "list"
  ? 1
  : Math.floor(INITIAL_WINDOW / (5 + request.length));
// Encoded with the server's own serializer, which encodes each stored
// feature once and keeps its bytes: the cache is full before the baseline
// is measured, so the rounds measure only what stalled calls leave behind,
// not how far into the database each got.
const responseBytes = [...database.within({
  minLatitude: -900_000_000,
  maxLatitude: 900_000_000,
  minLongitude: -1_800_000_000,
  maxLongitude: 1_800_000_000,
})].reduce(
  (sum, feature) =>
    sum + 5 +
    routeGuideServerDefinition.ListFeatures.responseSerialize(feature).length,
  0,
);

/** Calls the access log has seen end, and waiters for a count. */
const ended: { code: string; in: number; out: number; ms: number }[] = [];
const waiters: { n: number; resolve: () => void }[] = [];
const log: Logger = {
  info(_message, fields) {
    if (fields?.method !== `/routeguide.RouteGuide/${method}`) return;
    ended.push({
      code: String(fields.code),
      in: Number(fields.in),
      out: Number(fields.out),
      ms: Number(fields.ms),
    });
    for (const waiter of waiters) {
      if (ended.length >= waiter.n) waiter.resolve();
    }
  },
  debug() {},
  warn() {},
  error() {},
};
function callsEnded(n: number): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>();
  waiters.push({ n, resolve });
  if (ended.length >= n) resolve();
  return promise;
}
function heapMB(): number {
  gc!();
  gc!();
  return Deno.memoryUsage().heapUsed / 2 ** 20;
}

const server = await startServer({
  host: "127.0.0.1",
  port: 0,
  features: database,
  logger: log,
  // Every chat note is answered by all earlier ones (about 40 MB a call):
  // far more than socket buffers can hide, now that answers leave packed
  // in large DATA frames.
  notes: new MemoryNoteBoard({ notesPerLocation: 10_000 }),
  // Short, so that each round ends in seconds; the defaults are 60 s + 20 s.
  limits: { keepaliveTimeMs: 500, keepaliveTimeoutMs: 500 },
});
const baselineHeapMB = heapMB();
const afterRounds: number[] = [];
let peerClosed = 0;
for (let round = 1; round <= rounds; round++) {
  const conns = await Promise.all(
    Array.from(
      { length: clients },
      () =>
        stalledCall(
          server.port,
          `/routeguide.RouteGuide/${method}`,
          request,
          1,
          copies,
        ),
    ),
  );
  await callsEnded(round * clients);
  for (const conn of conns) {
    // The server closed the connection: reading ends (after what was in flight).
    await readUntilClosed(conn);
    peerClosed++;
    conn.close();
  }
  afterRounds.push(heapMB());
}
await server.close(0);
console.log(JSON.stringify({
  mode,
  sent: copies,
  features,
  clients,
  rounds,
  responseBytes,
  baselineHeapMB,
  afterRounds,
  peerClosed,
  calls: ended,
}));
