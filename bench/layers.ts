/**
 * Which layer of the stack a function belongs to, from its script URL:
 * shared by the CPU profile (`profile.ts`) and the garbage survey
 * (`gc_survivors.ts`), so that both count the same code as ours.
 *
 * @module
 */

/** A V8 profile call frame (CPU or sampling heap profile). */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

/**
 * The layer of a call frame: ours, grpc-js, Deno's `node:http2`, Deno's
 * Node compatibility layer, the runtime, native code, GC or idle.
 *
 * @example
 * ```ts
 * import { layer } from "./layers.ts";
 * layer({ functionName: "f", url: "ext:deno_node/http2.ts", lineNumber: 0 }); // "Deno node:http2 (JS)"
 * ```
 */
export function layer({ functionName, url }: CallFrame): string {
  if (functionName === "(garbage collector)") return "GC";
  if (functionName === "(idle)") return "idle";
  if (url.includes("@grpc/grpc-js")) return "grpc-js";
  // Our lib/, not an npm package's (pino's lib/tools.js, say).
  const ours = url.startsWith("file://") && !url.includes("/npm/") &&
    !url.includes("node_modules");
  if ((ours && url.includes("/lib/")) || url.includes("kdbush")) {
    return "routeguide (handlers, codec, index, notes)";
  }
  if (ours && url.includes("/bench/")) return "bench server";
  if (/ext:deno_node\/.*http2|node:http2|internal\/http2/.test(url)) {
    return "Deno node:http2 (JS)";
  }
  if (url.startsWith("ext:deno_node") || url.startsWith("node:")) {
    return "Deno Node compat (streams, events, Buffer, timers)";
  }
  if (url.startsWith("ext:")) return "Deno runtime (event loop, ops)";
  if (url === "") return "native (V8 builtins, ops: socket writes, nghttp2)";
  return "other";
}

/**
 * A call frame as one short line: function, file and line.
 *
 * @example
 * ```ts
 * import { frameName } from "./layers.ts";
 * frameName({ functionName: "", url: "file:///a/b.ts", lineNumber: 9 }); // "(anonymous) b.ts:10"
 * ```
 */
export function frameName(frame: CallFrame): string {
  return `${frame.functionName || "(anonymous)"} ${
    frame.url.split("/").at(-1)
  }:${frame.lineNumber + 1}`;
}
