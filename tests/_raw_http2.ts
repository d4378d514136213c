/**
 * Raw HTTP/2 gRPC clients for tests: one sends requests and then reads
 * nothing (the worst peer a server can have), or reads frames to see
 * exactly what the server sent; another sends exact bytes and headers
 * that grpc-js would not.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import http2 from "node:http2";

const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/** One HTTP/2 frame's bytes. */
export function frame(
  type: number,
  flags: number,
  stream: number,
  payload: Uint8Array,
): Uint8Array {
  const header = new Uint8Array(9);
  const view = new DataView(header.buffer);
  view.setUint32(0, payload.length << 8);
  header[3] = type;
  header[4] = flags;
  view.setUint32(5, stream);
  return Buffer.concat([header, payload]);
}

/** HPACK "literal header field without indexing, new name", no Huffman. */
function literal(name: string, value: string): Uint8Array {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const n = bytes(name);
  const v = bytes(value);
  if (n.length > 126 || v.length > 126) throw new RangeError("header too long");
  return Buffer.concat([
    Uint8Array.of(0x00, n.length),
    n,
    Uint8Array.of(v.length),
    v,
  ]);
}

/** HTTP/2's initial flow-control window: what a client may send unasked. */
export const INITIAL_WINDOW = 65_535;
const MAX_FRAME = 16_384;

/** More of what {@link stalledCall} sends. */
export interface StalledCallOptions {
  /** Headers added to every stream's request. */
  headers?: Record<string, string>;
  /** The requests' content type (default `application/grpc`). */
  contentType?: string;
  /** Bytes sent after the messages, in the same DATA frame. */
  tail?: Uint8Array;
  /** Whether to half-close each stream after its messages (default true). */
  halfClose?: boolean;
}

/**
 * Opens a connection to `port`, calls `path` on `streams` streams, each
 * sending the serialized `request` `copies` times (within the initial
 * window), and half-closes them; reads nothing afterwards. Resolves to the
 * open connection.
 */
export async function stalledCall(
  port: number,
  path: string,
  request: Uint8Array,
  streams = 1,
  copies = 1,
  options: StalledCallOptions = {},
): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const frames: Uint8Array[] = [
    new TextEncoder().encode(PREFACE),
    frame(0x4, 0, 0, new Uint8Array()),
  ];
  for (let i = 0; i < streams; i++) {
    frames.push(
      requestFrames(port, 1 + 2 * i, path, request, copies, options),
    );
  }
  await writeAll(conn, Buffer.concat(frames));
  return conn;
}

/**
 * Calls `path` on a new stream `id` of a connection {@link stalledCall}
 * opened, as it does, and grants the connection `window` more bytes to
 * send (a WINDOW_UPDATE), so that the answer can flow.
 */
export async function anotherCall(
  conn: Deno.TcpConn,
  id: number,
  path: string,
  request: Uint8Array,
  window = 1 << 20,
): Promise<void> {
  const port = (conn.remoteAddr as Deno.NetAddr).port;
  const increment = new Uint8Array(4);
  new DataView(increment.buffer).setUint32(0, window);
  await writeAll(
    conn,
    Buffer.concat([
      requestFrames(port, id, path, request, 1, {}),
      frame(0x8, 0, 0, increment),
    ]),
  );
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}

/** HEADERS and DATA frames of one call on stream `id`, half-closed. */
function requestFrames(
  port: number,
  id: number,
  path: string,
  request: Uint8Array,
  copies: number,
  options: StalledCallOptions,
): Uint8Array {
  const headers = Buffer.concat([
    literal(":method", "POST"),
    literal(":scheme", "http"),
    literal(":path", path),
    literal(":authority", `127.0.0.1:${port}`),
    literal("content-type", options.contentType ?? "application/grpc"),
    literal("te", "trailers"),
    ...Object.entries(options.headers ?? {}).map(([n, v]) => literal(n, v)),
  ]);
  const one = new Uint8Array(5 + request.length);
  new DataView(one.buffer).setUint32(1, request.length);
  one.set(request, 5);
  const body = Buffer.concat([
    ...Array.from({ length: copies }, () => one),
    options.tail ?? new Uint8Array(),
  ]);
  if (body.length > INITIAL_WINDOW) throw new RangeError("over the window");
  const frames = [frame(0x1, 0x4, id, headers)]; // HEADERS, END_HEADERS
  for (let at = 0; at < body.length; at += MAX_FRAME) {
    const last = at + MAX_FRAME >= body.length && options.halfClose !== false;
    // DATA, END_STREAM on the last frame.
    frames.push(
      frame(0x0, last ? 0x1 : 0, id, body.subarray(at, at + MAX_FRAME)),
    );
  }
  return Buffer.concat(frames);
}

/** Reads until the peer closes the connection; true if it was the peer. */
export async function readUntilClosed(conn: Deno.TcpConn): Promise<number> {
  const buffer = new Uint8Array(1 << 16);
  let total = 0;
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) return total;
      total += n;
    }
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionReset) return total;
    throw error;
  }
}

/** One HTTP/2 frame as received. */
export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Uint8Array;
}

/** Frame types used by the tests. */
export const FRAME = {
  DATA: 0,
  HEADERS: 1,
  RST_STREAM: 3,
  SETTINGS: 4,
} as const;

/** Reads frames until `done(frames)` holds; rejects if the peer closes first. */
export async function readFrames(
  conn: Deno.TcpConn,
  done: (frames: Frame[]) => boolean,
): Promise<Frame[]> {
  const frames: Frame[] = [];
  let pending = new Uint8Array(0);
  const chunk = new Uint8Array(1 << 16);
  while (!done(frames)) {
    const n = await conn.read(chunk);
    if (n === null) {
      throw new Error("connection closed before the expected frames");
    }
    pending = Buffer.concat([pending, chunk.subarray(0, n)]);
    while (pending.length >= 9) {
      const length = (pending[0] << 16) | (pending[1] << 8) | pending[2];
      if (pending.length < 9 + length) break;
      const view = new DataView(pending.buffer, pending.byteOffset, 9);
      frames.push({
        type: pending[3],
        flags: pending[4],
        stream: view.getUint32(5) & 0x7fffffff,
        payload: new Uint8Array(pending.subarray(9, 9 + length)),
      });
      pending = pending.subarray(9 + length);
    }
  }
  return frames;
}

/** What a server answered to {@link bytesCall}. */
export interface BytesAnswer {
  /** The HTTP status. */
  status: number;
  /** grpc-status, from the trailers or a trailers-only answer (undefined without). */
  code: number | undefined;
  /** grpc-message, decoded. */
  message: string;
  /** The response body. */
  body: Uint8Array;
}

/**
 * One call over `node:http2` with exactly the given body bytes and headers
 * (over a gRPC POST to `path`): for requests grpc-js will not send, read
 * back whole.
 */
export function bytesCall(
  port: number,
  path: string,
  body: Uint8Array,
  headers: Record<string, string> = {},
): Promise<BytesAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const request = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Uint8Array[] = [];
    request.on("response", (h) => head = h);
    request.on("trailers", (t) => trailers = t);
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("error", reject);
    request.on("end", () => {
      session.close();
      const code = trailers["grpc-status"] ?? head["grpc-status"];
      resolve({
        status: Number(head[":status"]),
        code: code === undefined ? undefined : Number(code),
        message: decodeURIComponent(
          String(trailers["grpc-message"] ?? head["grpc-message"] ?? ""),
        ),
        body: Buffer.concat(chunks),
      });
    });
    request.end(body);
  });
}
