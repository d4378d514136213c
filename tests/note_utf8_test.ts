/**
 * RouteNote messages are proto3 strings, so UTF-8: bytes that are not are
 * INVALID_ARGUMENT, never stored with U+FFFD in their place, and what
 * UTF-8 can carry arrives as sent.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { RouteGuideError, Status } from "../mod.ts";
import { checkNote } from "../lib/domain/validate.ts";
import { encodeRouteNote } from "../lib/grpc/wire_encode.ts";
import { decodeRouteNote } from "../lib/grpc/wire_decode.ts";
import { assertStatus, ChatSession, note, startTestServer } from "./helpers.ts";

/** A RouteNote at (n, n) whose message field holds `bytes` as they are. */
function rawNote(n: number, bytes: number[]): Buffer {
  const length = bytes.length < 0x80
    ? [bytes.length]
    : [(bytes.length & 0x7f) | 0x80, bytes.length >> 7];
  return Buffer.concat([
    encodeRouteNote(note("", n, n)),
    Uint8Array.of(0x12, ...length, ...bytes),
  ]);
}

const NOT_UTF8 = [
  [0x68, 0x69, 0xff], // a byte UTF-8 never uses
  [0xe2, 0x82], // a sequence cut short (the start of "€")
  [0xc0, 0xaf], // an overlong "/"
  [0xed, 0xa0, 0x80], // a surrogate, CESU-8 style
  [...Array(100).fill(0x78), 0x80], // past the short-string path
  Array(300).fill(0xff), // the issue's: 300 bytes were stored as 900
];

Deno.test("a note whose message is not UTF-8 decodes to one that validation rejects with INVALID_ARGUMENT", () => {
  for (const bytes of NOT_UTF8) {
    const decoded = decodeRouteNote(rawNote(1, bytes));
    assert.throws(
      () => checkNote(decoded),
      (error: unknown) =>
        error instanceof RouteGuideError &&
        error.code === Status.INVALID_ARGUMENT &&
        error.message === "note.message is not valid UTF-8",
      JSON.stringify(bytes),
    );
  }
});

Deno.test("a note's message decodes as sent: a leading BOM and real U+FFFDs are kept", () => {
  for (
    const message of [
      "\ufeffstarts with a BOM",
      "\ufffd",
      "a real \ufffd among ASCII",
      "x".repeat(40) + "\ufffd",
      "€".repeat(341) + "a",
      "🚲".repeat(256),
    ]
  ) {
    const decoded = decodeRouteNote(encodeRouteNote(note(message, 1, 1)));
    assert.equal(decoded.message, message);
    checkNote(decoded);
  }
});

Deno.test("RouteChat: a note that is not UTF-8 ends the call with INVALID_ARGUMENT; the note before it stays, it is not stored", async () => {
  await using t = await startTestServer();
  // grpc-js with a serializer that sends the bytes it is given.
  const raw = t.newStub().makeBidiStreamRequest(
    "/routeguide.RouteGuide/RouteChat",
    (bytes: Buffer) => bytes,
    decodeRouteNote,
  );
  const done = new Promise((resolve, reject) => {
    raw.on("data", () => {});
    raw.on("status", resolve);
    raw.on("error", (error) => reject(RouteGuideError.from(error)));
  });
  raw.write(encodeRouteNote(note("kept", 1, 1)));
  raw.write(rawNote(2, NOT_UTF8.at(-1)!));
  raw.end();
  await assertStatus(
    done,
    Status.INVALID_ARGUMENT,
    "note.message is not valid UTF-8",
  );
  const chat = new ChatSession(t.newStub());
  chat.send(note("probe", 1, 1));
  chat.send(note("probe", 2, 2));
  assert.deepEqual(await chat.finish(), [note("kept", 1, 1)]);
});
