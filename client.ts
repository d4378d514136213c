/**
 * `deno task client`: the RouteGuide command-line client.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { RouteGuideClient, runDemo } from "./mod.ts";
import {
  CLIENT_SECURITY_FLAGS,
  clientOptionsFromFlags,
  CredentialsError,
  TokenError,
} from "./mod.ts";

const { values } = parseArgs({
  options: {
    addr: { type: "string", default: "localhost:50051" },
    ...CLIENT_SECURITY_FLAGS,
  },
});
let options;
try {
  options = await clientOptionsFromFlags(values.addr!, values);
} catch (error) {
  if (!(error instanceof CredentialsError || error instanceof TokenError)) {
    throw error;
  }
  console.error(`routeguide client: ${error.message}`);
  Deno.exit(2);
}
const client = new RouteGuideClient(values.addr!, options);
try {
  await runDemo(client, console.log);
} finally {
  client.close();
}
