/**
 * gRPC server reflection (npm `@grpc/reflection`, v1 and v1alpha), so that
 * generic clients such as `buf curl` and `grpcurl` need no .proto file.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { Buffer } from "node:buffer";
import descriptor from "protobufjs/ext/descriptor/index.js";
import { routeGuidePackageDefinition } from "./proto.ts";

// A CommonJS module whose exports Deno cannot see statically.
const { FileDescriptorProto } = descriptor;

/** The parts of a DescriptorProto that map entries concern. */
interface MessageDescriptor {
  field?: { name: string; typeName?: string }[];
  nestedType?: (MessageDescriptor & {
    name: string;
    options?: { mapEntry?: boolean };
  })[];
}

/** `statuses` -> `StatusesEntry`, as protoc names map entry messages. */
function mapEntryName(fieldName: string): string {
  const camel = fieldName.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
  return `${camel[0].toUpperCase()}${camel.slice(1)}Entry`;
}

function renameMapEntries(message: MessageDescriptor): void {
  for (const nested of message.nestedType ?? []) {
    renameMapEntries(nested);
    if (!nested.options?.mapEntry) continue;
    const field = message.field?.find((f) =>
      f.typeName === nested.name || f.typeName?.endsWith(`.${nested.name}`)
    );
    if (!field) continue;
    const name = mapEntryName(field.name);
    field.typeName = field.typeName!.slice(0, -nested.name.length) + name;
    nested.name = name;
  }
}

/**
 * protobufjs names a map field's entry message after the field
 * (`Statuses`), where protoc says `StatusesEntry`; Go's protodesc (in
 * `buf curl`, `grpcurl`) rejects the former, so health's
 * `map<string, HealthCheckResponse> statuses` made the whole file
 * unusable. Rewrites the descriptors with protoc's names.
 */
function withProtocMapEntryNames(
  definition: protoLoader.PackageDefinition,
): protoLoader.PackageDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, value]) => {
      const protos = (value as { fileDescriptorProtos?: unknown })
        .fileDescriptorProtos;
      if (!Array.isArray(protos)) return [name, value];
      const files = protos.map((bytes: Uint8Array) => {
        const file = FileDescriptorProto.toObject(
          FileDescriptorProto.decode(bytes),
        ) as { messageType?: MessageDescriptor[] };
        for (const message of file.messageType ?? []) {
          renameMapEntries(message);
        }
        return Buffer.from(
          FileDescriptorProto.encode(FileDescriptorProto.fromObject(file))
            .finish(),
        );
      });
      return [name, { ...value, fileDescriptorProtos: files }];
    }),
  );
}

/**
 * Adds the reflection service to `server`, describing `routeguide` and,
 * when `withHealth` (default true), `grpc.health.v1`.
 *
 * @example
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * import { addReflectionService } from "./reflection.ts";
 * addReflectionService(new grpc.Server());
 * ```
 */
export function addReflectionService(
  server: grpc.Server,
  withHealth = true,
): void {
  const health = withHealth
    ? withProtocMapEntryNames(protoLoader.loadSync(healthProtoPath))
    : {};
  new ReflectionService({ ...routeGuidePackageDefinition, ...health })
    .addToServer(server);
}
