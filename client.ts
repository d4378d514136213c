/**
 * `deno task client`: the RouteGuide command-line client. With no command
 * it runs the tutorial demo; `feature`, `list`, `record` and `chat` make
 * one call each. The flags and `--help` are declared in
 * lib/cli/client_flags.ts, the commands in lib/cli/commands.ts.
 *
 * @module
 */
import { RouteGuideClient } from "./lib/grpc/client.ts";
import { TokenError } from "./lib/grpc/auth.ts";
import { type ClientTls, CredentialsError } from "./lib/grpc/credentials.ts";
import {
  CLIENT_FLAGS,
  clientSecurity,
  parseClientArgs,
} from "./lib/cli/client_flags.ts";
import { planCommand } from "./lib/cli/commands.ts";
import { describeFailure } from "./lib/cli/failures.ts";
import { UsageError } from "./lib/cli/flags.ts";

let address = CLIENT_FLAGS.addr.default;
let timeoutSeconds = CLIENT_FLAGS.timeout.default;
let client: RouteGuideClient | undefined;
let tls: ClientTls | undefined; // tells TLS mistakes apart in errors
try {
  const request = parseClientArgs(Deno.args);
  if ("help" in request) {
    console.log(request.help);
    Deno.exit(0);
  }
  address = request.values.addr;
  timeoutSeconds = request.values.timeout;
  // Everything the user typed is checked before the first call.
  const run = await planCommand(request, {
    print: console.log,
    json: request.values.json,
    call: timeoutSeconds > 0 ? { timeoutMs: timeoutSeconds * 1000 } : {},
  });
  const clientOptions = await clientSecurity(request.values);
  tls = clientOptions.tls;
  try {
    client = new RouteGuideClient(address, clientOptions);
  } catch (error) {
    throw new UsageError(`--addr '${address}': ${(error as Error).message}`);
  }
  await run(client);
  client.close();
  Deno.exit(0);
} catch (error) {
  client?.close();
  const failure = describeFailure(error, address, timeoutSeconds, tls);
  // Bad TLS or token files are named in the message; --help adds nothing.
  const fileError = error instanceof CredentialsError ||
    error instanceof TokenError ||
    (error instanceof UsageError && !error.seeHelp);
  const hint = failure.exitCode === 2 && !fileError ? " (see --help)" : "";
  console.error(`routeguide client: ${failure.message}${hint}`);
  Deno.exit(failure.exitCode);
}
