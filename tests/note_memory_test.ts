/**
 * The note board's memory is bounded in bytes. Two `server.ts` processes
 * with default flags, but for the control's `--max-locations 100`, get the
 * same RouteChat calls: 20 times what the default bound holds, each note at
 * a new location and each the costliest per counted byte (1,024 UTF-8
 * bytes with a character above U+00FF: two bytes per character in V8). The
 * full board then holds the default bound and the control 100 notes, so
 * that both pay the young generation V8 grows as soon as notes survive
 * (about 60 MB over a board that keeps a single note); the difference is
 * what the bound costs, evicted notes awaiting collection included. The
 * figures are printed. Linux only: RSS is read from /proc.
 */
import assert from "node:assert/strict";
import { RouteGuideClient, type RouteNote } from "../mod.ts";
import {
  DEFAULT_MAX_NOTE_BOARD_BYTES,
  noteBytes,
} from "../lib/domain/notes.ts";
import { collect, note, startServerProcess, writeDbFile } from "./helpers.ts";

/** What the default bound may add to RSS (lib/domain/notes.ts). */
const BUDGET_MB = 64;
const PER_CALL = 10_000; // --max-notes-per-call's default
const message = (i: number) => `${i} `.padEnd(1_022, "x") + "Ā";
const counted = noteBytes(note(message(0), 0, 0));
// Enough turnover for the old generation to settle: V8 lets garbage grow
// to about four times what survives before a full collection.
const NOTES = 20 * Math.ceil(DEFAULT_MAX_NOTE_BOARD_BYTES / counted);

const at = (i: number) => note(message(i), i, i);

function* notes(from: number, to: number): Generator<RouteNote> {
  for (let i = from; i < to; i++) yield at(i);
}

async function rssMB(pid: number): Promise<number> {
  // Through cat: Deno reads /proc itself only with --allow-all.
  const { stdout } = await new Deno.Command("cat", {
    args: [`/proc/${pid}/status`],
  }).output();
  const status = new TextDecoder().decode(stdout);
  return Number(status.match(/VmRSS:\s+(\d+)/)![1]) / 1024;
}

/** RSS after NOTES notes, and what the first and last locations answer. */
async function fill(args: string[]): Promise<{
  rss: number;
  first: RouteNote[];
  last: RouteNote[];
}> {
  const db = await writeDbFile([]);
  // The server has read its database once it listens.
  await using server = await startServerProcess([
    "--db",
    db,
    "--allow-empty-db",
    ...args,
  ])
    .finally(() => Deno.remove(db));
  const client = new RouteGuideClient(server.address);
  try {
    for (let sent = 0; sent < NOTES; sent += PER_CALL) {
      await collect(
        client.routeChat(notes(sent, Math.min(sent + PER_CALL, NOTES)), {
          timeoutMs: 20_000,
        }),
      );
    }
    const rss = await rssMB(server.child.pid);
    const probe = (i: number) => collect(client.routeChat([at(i)]));
    return { rss, last: await probe(NOTES - 1), first: await probe(0) };
  } finally {
    client.close();
  }
}

Deno.test({
  name:
    "a server filled far past the default note bound adds less than the documented RSS, and keeps the newest notes",
  ignore: Deno.build.os !== "linux",
}, async () => {
  const control = await fill(["--max-locations", "100"]);
  const full = await fill([]);
  const added = full.rss - control.rss;
  console.log(
    `${NOTES} notes of ${counted} counted bytes, default bound ` +
      `${DEFAULT_MAX_NOTE_BOARD_BYTES / 2 ** 20} MiB: RSS ${
        full.rss.toFixed(0)
      } MB, ${control.rss.toFixed(0)} MB keeping 100 notes: ` +
      `${added.toFixed(1)} MB added (budget ${BUDGET_MB} MB)`,
  );
  assert.ok(added < BUDGET_MB, `the board added ${added.toFixed(1)} MB`);
  assert.deepEqual(full.last, [at(NOTES - 1)]);
  assert.deepEqual(full.first, []);
});
