/**
 * Generates `lib/gen/` from `protos/route_guide.proto`: TypeScript types
 * (proto-loader-gen-types) and a JSON descriptor that the library loads at
 * run time, so that importing the library (from disk or from JSR) never needs
 * to read the .proto file; and `es/route_guide_pb.ts`, the connect-es
 * (protobuf-es 2) schema that the web port and the browser page use.
 *
 * Usage: deno task codegen [--out DIR]
 */
import { parseArgs } from "node:util";
import protobuf from "protobufjs";
import { create, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { CodeGeneratorRequestSchema } from "@bufbuild/protobuf/wkt";
import { protocGenEs } from "@bufbuild/protoc-gen-es/dist/cjs/src/protoc-gen-es-plugin.js";

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

// protoc-gen-es runs in-process on the descriptor set buf builds (buf ships
// with npm, so no protoc or plugin binary is needed on the PATH).
const image = await new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    "--quiet",
    "npm:@bufbuild/buf@1.74.0",
    "build",
    "protos",
    "-o",
    "-",
  ],
  stdout: "piped",
  stderr: "inherit",
}).output();
if (!image.success) Deno.exit(1);
const response = protocGenEs.run(create(CodeGeneratorRequestSchema, {
  fileToGenerate: ["route_guide.proto"],
  parameter: "target=ts,import_extension=.ts",
  protoFile: fromBinary(FileDescriptorSetSchema, image.stdout).file,
}));
if (response.error) throw new Error(`protoc-gen-es: ${response.error}`);
await Deno.mkdir(`${out}/es`, { recursive: true });
for (const file of response.file) {
  await Deno.writeTextFile(`${out}/es/${file.name}`, file.content);
}
