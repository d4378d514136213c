/**
 * New streams take turns: a connection starts at most a few calls per turn
 * of the event loop, and the rest of a burst waits for the next turns, a
 * timer each. Fixed once for the process when this module loads.
 *
 * grpc-js sets a call up (its call object, the interceptors, the handler's
 * first step) as soon as Deno's `node:http2` emits its stream, and Deno
 * emits every stream one socket read brought in one go: a client opening
 * 100 streams at once held every other connection's calls back until all
 * of them were set up. A GetFeature sent on a fourth connection as 300
 * ListFeatures arrive on three (the soak's first sample) took 30-184 ms,
 * median 81, in 8 tries; 26-108 ms, median 48, in 18 with 4 streams per
 * turn (8: 39-220 ms, median 64).
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type http2 from "node:http2";

/** Streams a connection starts in one turn of the event loop. */
const STREAMS_PER_TURN = 4;

type StreamHandler = (
  stream: http2.ServerHttp2Stream,
  ...rest: unknown[]
) => void;

/** One connection's streams started this turn and waiting for theirs. */
interface Turns {
  started: number;
  waiting: [http2.ServerHttp2Stream, unknown[]][];
  timer: ReturnType<typeof setTimeout> | undefined;
}

function ignore(): void {}

/** Whether a stream can no longer be answered: reset, or its connection gone. */
function gone(stream: http2.ServerHttp2Stream): boolean {
  const session = stream.session;
  const socket = session?.socket as { readableEnded?: boolean } | undefined;
  return stream.destroyed || stream.closed || session === undefined ||
    session.destroyed || session.closed || socket?.readableEnded !== false;
}

/** `handle`, taking each connection's streams a few per turn. */
function inTurns(handle: StreamHandler): StreamHandler {
  const connections = new WeakMap<http2.Http2Session, Turns>();
  const nextTurn = (turns: Turns) => {
    turns.timer = undefined;
    let started = 0;
    while (started < STREAMS_PER_TURN && turns.waiting.length > 0) {
      const [stream, rest] = turns.waiting.shift()!;
      // Reset by the client meanwhile, or its connection gone: grpc-js
      // never knew of it.
      if (gone(stream)) continue;
      stream.off("error", ignore);
      started++;
      handle(stream, ...rest);
    }
    if (turns.waiting.length > 0) {
      turns.timer = setTimeout(nextTurn, 0, turns);
    }
  };
  return (stream, ...rest) => {
    const session = stream.session;
    if (session === undefined) return handle(stream, ...rest);
    let turns = connections.get(session);
    if (turns === undefined) {
      const created: Turns = { started: 0, waiting: [], timer: undefined };
      session.once("close", () => {
        clearTimeout(created.timer);
        created.waiting.length = 0;
      });
      connections.set(session, turns = created);
    }
    if (turns.waiting.length === 0 && turns.started < STREAMS_PER_TURN) {
      // A read's streams are emitted by next-tick callbacks, which all run
      // before any microtask: the count starts over after them.
      if (turns.started++ === 0) {
        const counted = turns;
        queueMicrotask(() => counted.started = 0);
      }
      return handle(stream, ...rest);
    }
    // Until grpc-js listens: a stream closed with its connection emits an
    // error (Deno writes its RST_STREAM to the closed socket), which would
    // end the process with no listener.
    stream.on("error", ignore);
    turns.waiting.push([stream, rest]);
    turns.timer ??= setTimeout(nextTurn, 0, turns);
  };
}

// grpc-js listens for each listening socket's streams here.
const server = grpc.Server.prototype as unknown as {
  _setupHandlers(
    http2Server: http2.Http2Server | null,
    ...rest: unknown[]
  ): void;
};
const setupHandlers = server._setupHandlers;
if (typeof setupHandlers !== "function") {
  throw new Error("grpc-js has changed: no _setupHandlers to take turns in");
}
server._setupHandlers = function (http2Server, ...rest) {
  setupHandlers.call(this, http2Server, ...rest);
  if (http2Server === null) return;
  const handle = http2Server.listeners("stream").at(-1) as StreamHandler;
  http2Server.off("stream", handle);
  http2Server.on("stream", inTurns(handle));
};
