/**
 * Interop with `buf curl` (npm @bufbuild/buf, which ships the Go binary),
 * a generic client that knows our API only through server reflection.
 * Health is resolved through reflection too: lib/grpc/reflection.ts gives the
 * health descriptor protoc's map-entry name so Go's protodesc accepts it.
 */
import assert from "node:assert/strict";
import { FeatureDatabase, startServer } from "../mod.ts";
import { buf, bufMessages as messages } from "./helpers.ts";

function curl(address: string, path: string, data: unknown): Promise<string> {
  return buf(
    "curl",
    "--protocol",
    "grpc",
    "--http2-prior-knowledge",
    "-d",
    JSON.stringify(data),
    `http://${address}${path}`,
  );
}

Deno.test("buf curl lists the services and calls RouteGuide and health through reflection", async () => {
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    features: new FeatureDatabase([
      { name: "Alpha", location: { latitude: 10, longitude: 10 } },
      { name: "Beta", location: { latitude: 20, longitude: 20 } },
    ]),
  });
  try {
    const services = await buf(
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "--list-services",
      `http://${server.address}`,
    );
    assert.deepEqual(services.trim().split("\n").sort(), [
      "grpc.health.v1.Health",
      "routeguide.RouteGuide",
    ]);
    assert.deepEqual(
      messages(
        await curl(server.address, "/routeguide.RouteGuide/GetFeature", {
          latitude: 10,
          longitude: 10,
        }),
      ),
      [{ name: "Alpha", location: { latitude: 10, longitude: 10 } }],
    );
    assert.deepEqual(
      messages(
        await curl(server.address, "/routeguide.RouteGuide/ListFeatures", {
          lo: { latitude: 0, longitude: 0 },
          hi: { latitude: 30, longitude: 30 },
        }),
      ),
      [
        { name: "Alpha", location: { latitude: 10, longitude: 10 } },
        { name: "Beta", location: { latitude: 20, longitude: 20 } },
      ],
    );
    // buf sends a client stream as several JSON objects back to back.
    const route = await buf(
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "-d",
      '{"latitude":10,"longitude":10} {"latitude":20,"longitude":20} {"latitude":5,"longitude":5}',
      `http://${server.address}/routeguide.RouteGuide/RecordRoute`,
    );
    const [summary] = messages(route) as {
      pointCount: number;
      featureCount: number;
    }[];
    assert.equal(summary.pointCount, 3);
    assert.equal(summary.featureCount, 2);
    assert.deepEqual(
      messages(
        await curl(server.address, "/grpc.health.v1.Health/Check", {
          service: "",
        }),
      ),
      [{ status: "SERVING" }],
    );
    assert.deepEqual(
      messages(
        await curl(server.address, "/grpc.health.v1.Health/Check", {
          service: "routeguide.RouteGuide",
        }),
      ),
      [{ status: "SERVING" }],
    );
  } finally {
    await server.close(0);
  }
});
