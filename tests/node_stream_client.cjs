// A Node grpc-js client for the Deno regression test: streams every
// feature of the world from a RouteGuide server, closes its channel, and
// prints {"received": N}. Usage: node node_stream_client.cjs ADDRESS PROTO
// (with @grpc/grpc-js and @grpc/proto-loader on NODE_PATH).
"use strict";
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const [address, protoPath] = process.argv.slice(2);
const definition = protoLoader.loadSync(protoPath, { defaults: true });
const { RouteGuide } = grpc.loadPackageDefinition(definition).routeguide;
const client = new RouteGuide(address, grpc.credentials.createInsecure());

let received = 0;
const call = client.ListFeatures({
  lo: { latitude: -900000000, longitude: -1800000000 },
  hi: { latitude: 900000000, longitude: 1800000000 },
});
call.on("data", () => received++);
call.on("error", (error) => {
  console.error(`ListFeatures failed after ${received}: ${error.message}`);
  client.close();
  process.exitCode = 1;
});
call.on("end", () => {
  // Closing the channel right after a large stream is what crashed Deno
  // 2.9.4-2.9.6 (denoland/deno#36788).
  client.close();
  console.log(JSON.stringify({ received }));
});
