// A small HTTP/2 load generator for the two workloads h2load cannot drive:
// RouteChat (every note at a fresh location, so that the answers stay
// bounded and equal on every server) and ListFeatures time to first
// feature (one call at a time). Plain node:http2, gRPC framing by hand, so
// that the generator stays cheap. Prints one JSON line of results.
//
//   node bench/node_load.mjs chat PORT NOTES [FIRST_LOCATION_ID]
//   node bench/node_load.mjs ttff PORT SECONDS RECTANGLE_HEX
import http2 from "node:http2";

// ttff's optional fifth argument: a content type (Connect on the web port).
const [mode, port, seconds, extra, contentType] = process.argv.slice(2);
const HEADERS = {
  ":method": "POST",
  "content-type": "application/grpc",
  te: "trailers",
};

function varint(value, out) {
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  out.push(value);
}

// A RouteNote at (lat, lng) (both > 0) with a 12-byte message, gRPC-framed.
function note(lat, lng, text) {
  const point = [0x08];
  varint(lat, point);
  point.push(0x10);
  varint(lng, point);
  const body = [0x0a, point.length, ...point, 0x12, text.length];
  for (const c of text) body.push(c.charCodeAt(0));
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  Buffer.from(body).copy(frame, 5);
  return frame;
}

function call(session, path, body) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let first = 0n;
    let bytes = 0;
    const stream = session.request({
      ...HEADERS,
      ...(contentType ? { "content-type": contentType } : {}),
      ":path": path,
    });
    stream.on("data", (chunk) => {
      if (first === 0n) first = process.hrtime.bigint();
      bytes += chunk.length;
    });
    stream.on("trailers", (trailers) => {
      if (trailers["grpc-status"] !== "0") {
        reject(
          new Error(
            `${path}: grpc-status ${trailers["grpc-status"]} ${
              trailers["grpc-message"]
            }`,
          ),
        );
      }
    });
    stream.on("end", () =>
      resolve({
        bytes,
        firstMs: Number(first - started) / 1e6,
        totalMs: Number(process.hrtime.bigint() - started) / 1e6,
      }));
    stream.on("error", reject);
    stream.end(body);
  });
}

const url = `http://127.0.0.1:${port}`;
// Large HTTP/2 windows: the generator must never be what waits.
function connect() {
  const session = http2.connect(url, {
    settings: { initialWindowSize: 2 ** 30 },
  });
  session.on("connect", () => session.setLocalWindowSize(2 ** 30));
  return session;
}
const cpuStart = process.cpuUsage();
const wallStart = process.hrtime.bigint();

if (mode === "chat") {
  // 4 connections x 2 calls in flight, COUNT notes in all (a fixed amount
  // of work: every server ends up holding as many notes). Each call sends
  // 1,000 notes in pairs at fresh locations: the second note of a pair gets
  // the first back.
  const NOTES = 1000;
  const count = Number(seconds);
  let counter = 1 + Number(extra ?? 0);
  let notes = 0;
  let answers = 0;
  let started = 0;
  const answerSize = note(1, 1, "hello there!").length;
  const sessions = Array.from({ length: 4 }, () => connect());
  const caller = async (session) => {
    while (started < count) {
      started += NOTES;
      const frames = [];
      for (let i = 0; i < NOTES / 2; i++) {
        const id = counter++;
        const lat = 1 + (id % 800_000_000);
        const lng = 1 + Math.floor(id / 800_000_000);
        frames.push(
          note(lat, lng, "hello there!"),
          note(lat, lng, "hello again!"),
        );
      }
      const result = await call(
        session,
        "/routeguide.RouteGuide/RouteChat",
        Buffer.concat(frames),
      );
      notes += NOTES;
      answers += result.bytes / answerSize;
    }
  };
  await Promise.all(sessions.flatMap((s) => [caller(s), caller(s)]));
  for (const s of sessions) s.close();
  const cpu = process.cpuUsage(cpuStart);
  console.log(JSON.stringify({
    notes,
    answers,
    seconds: Number(process.hrtime.bigint() - wallStart) / 1e9,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  }));
} else if (mode === "ttff") {
  const body = Buffer.from(extra, "hex");
  const session = connect();
  const end = Date.now() + Number(seconds) * 1000;
  const first = [];
  let bytes = 0;
  // Warm up with a few calls, then measure one call at a time.
  for (let i = 0; i < 5; i++) {
    await call(session, "/routeguide.RouteGuide/ListFeatures", body);
  }
  while ((Date.now() < end || first.length < 5) && first.length < 500) {
    const r = await call(session, "/routeguide.RouteGuide/ListFeatures", body);
    first.push(r.firstMs);
    bytes = r.bytes;
  }
  const cpu = process.cpuUsage(cpuStart);
  session.close();
  first.sort((a, b) => a - b);
  console.log(JSON.stringify({
    calls: first.length + 5,
    medianFirstMs: first[Math.floor(first.length / 2)],
    p90FirstMs: first[Math.floor(first.length * 0.9)],
    bytesPerCall: bytes,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  }));
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
