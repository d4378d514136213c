/**
 * Generates `lib/gen/` from `protos/route_guide.proto`: TypeScript types
 * (proto-loader-gen-types) and a JSON descriptor that the library loads at
 * run time, so that importing the library (from disk or from JSR) never needs
 * to read the .proto file.
 *
 * Usage: deno task codegen [--out DIR]
 */
import { parseArgs } from "node:util";
import protobuf from "protobufjs";

const { values } = parseArgs({
  options: { out: { type: "string", default: "lib/gen" } },
});
const out = values.out!;
const proto = "protos/route_guide.proto";

const genTypes = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    "npm:@grpc/proto-loader@0.8.1/proto-loader-gen-types",
    "--grpcLib=@grpc/grpc-js",
    "--importFileExtension=.ts",
    "--includeComments",
    "--defaults",
    "-O",
    out,
    proto,
  ],
  stdout: "inherit",
  stderr: "inherit",
});
const { success } = await genTypes.output();
if (!success) Deno.exit(1);

// Field names stay as in the proto; proto-loader camel-cases them at load
// time, matching the generated types.
const root = protobuf.loadSync(proto);
await Deno.writeTextFile(
  `${out}/route_guide.descriptor.json`,
  JSON.stringify(root.toJSON(), null, 2) + "\n",
);
