/**
 * What the web port's tests share: both ports over one RouteGuide,
 * connect-es's transports that run in Deno, and a WebSocket call.
 *
 * @module
 */
import * as connectNode from "@connectrpc/connect-node";
import * as connectWeb from "@connectrpc/connect-web";
import type { Transport } from "@connectrpc/connect";
import {
  FeatureDatabase,
  MemoryNoteBoard,
  RouteGuideClient,
  type RouteGuideServer,
  startServer,
} from "../mod.ts";
import { createRouteGuide } from "../lib/domain/service.ts";
import type { Feature } from "../lib/domain/types.ts";
import type { ServerLimits } from "../lib/grpc/limits.ts";
import type { Logger } from "../lib/grpc/log.ts";
import { startWebServer, type WebServer } from "../lib/web/server.ts";

/** Both ports over one RouteGuide, and a gRPC client of the gRPC port. */
export interface BothPorts extends AsyncDisposable {
  grpc: RouteGuideServer;
  web: WebServer;
  client: RouteGuideClient;
}

/** Starts both ports on 127.0.0.1, port 0, over `features`. */
export async function startBothPorts(
  features: Feature[],
  options: {
    token?: string;
    logger?: Logger;
    limits?: Partial<ServerLimits>;
  } = {},
): Promise<BothPorts> {
  const notes = new MemoryNoteBoard();
  const handlers = createRouteGuide({
    features: new FeatureDatabase(features),
    notes,
  });
  const common = { host: "127.0.0.1", port: 0, handlers, ...options };
  const grpc = await startServer({ ...common, notes });
  const web = await startWebServer(common);
  const client = new RouteGuideClient(grpc.address);
  return {
    grpc,
    web,
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      await Promise.all([grpc.close(100), web.close(100)]);
    },
  };
}

/** connect-es's transports that run in Deno, by name. */
export function transports(url: string): [string, Transport][] {
  return [
    [
      "Connect binary, fetch",
      connectWeb.createConnectTransport({
        baseUrl: url,
        useBinaryFormat: true,
      }),
    ],
    [
      "Connect JSON, fetch",
      connectWeb.createConnectTransport({ baseUrl: url }),
    ],
    [
      "gRPC-Web binary, fetch",
      connectWeb.createGrpcWebTransport({ baseUrl: url }),
    ],
    [
      "gRPC-Web JSON, fetch",
      connectWeb.createGrpcWebTransport({
        baseUrl: url,
        useBinaryFormat: false,
      }),
    ],
    ...h2Transports(url),
  ];
}

/** connect-node's h2c transports: the ones that stream requests. */
export function h2Transports(url: string): [string, Transport][] {
  return [
    [
      "Connect binary, h2c",
      connectNode.createConnectTransport({ baseUrl: url, httpVersion: "2" }),
    ],
    [
      "Connect JSON, h2c",
      connectNode.createConnectTransport({
        baseUrl: url,
        httpVersion: "2",
        useBinaryFormat: false,
      }),
    ],
    [
      "gRPC-Web binary, h2c",
      connectNode.createGrpcWebTransport({ baseUrl: url, httpVersion: "2" }),
    ],
  ];
}

/**
 * A WebSocket call: sends `requests` (then `end`, if among them); resolves
 * with the binary answers, the text messages and the close.
 */
export async function webSocketCall(
  url: string,
  method: "RecordRoute" | "RouteChat",
  requests: (Uint8Array | string)[],
  protocols: string[] = ["routeguide.v1"],
): Promise<
  { answers: Uint8Array[]; texts: string[]; code: number; reason: string }
> {
  const socket = new WebSocket(
    `${url.replace(/^http/, "ws")}/routeguide.RouteGuide/${method}`,
    protocols,
  );
  socket.binaryType = "arraybuffer";
  const answers: Uint8Array[] = [];
  const texts: string[] = [];
  socket.onmessage = (event) =>
    typeof event.data === "string"
      ? texts.push(event.data)
      : answers.push(new Uint8Array(event.data));
  const closed = new Promise<CloseEvent>((resolve) => socket.onclose = resolve);
  socket.onopen = () => {
    for (const request of requests) socket.send(request);
  };
  const { code, reason } = await closed;
  return { answers, texts, code, reason };
}
