/**
 * The RouteGuide service definition, loaded from the descriptor that
 * `deno task codegen` generates from `protos/route_guide.proto`, so that no
 * .proto file is read at run time.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type protobuf from "protobufjs";
import descriptor from "../gen/route_guide.descriptor.json" with {
  type: "json",
};
import type { ProtoGrpcType } from "../gen/route_guide.ts";
import type { RouteGuideClient as GeneratedClient } from "../gen/routeguide/RouteGuide.ts";

/**
 * proto-loader options matching the generated types: camel-cased field
 * names and every field present (absent messages as null).
 */
const LOADER_OPTIONS: protoLoader.Options = { defaults: true };

/** The proto-loader package definition of `routeguide` (for reflection). */
export const routeGuidePackageDefinition: protoLoader.PackageDefinition =
  protoLoader.fromJSON(descriptor as protobuf.INamespace, LOADER_OPTIONS);

const proto = grpc.loadPackageDefinition(
  routeGuidePackageDefinition,
) as unknown as ProtoGrpcType;

/** The grpc-js client constructor generated for `routeguide.RouteGuide`. */
export const RouteGuideStub: new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => GeneratedClient = proto.routeguide.RouteGuide;

/**
 * The fully qualified service name, `routeguide.RouteGuide`.
 *
 * @example
 * ```ts
 * import { SERVICE_NAME } from "./proto.ts";
 * SERVICE_NAME; // "routeguide.RouteGuide"
 * ```
 */
export const SERVICE_NAME = "routeguide.RouteGuide";

/** grpc-js's service definition for `routeguide.RouteGuide`. */
export const routeGuideServiceDefinition: grpc.ServiceDefinition =
  proto.routeguide.RouteGuide.service;
