/**
 * The service definition a RouteGuide server registers: the methods of
 * `protos/route_guide.proto` (from proto.ts) with the hand-written codec
 * of `wire_encode.ts` and `wire_decode.ts` in place of protobufjs (the same
 * bytes on the wire, a fraction of the cost), and the database's stored
 * features encoded once.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import type { Buffer } from "node:buffer";
import { routeGuideServiceDefinition } from "./proto.ts";
import {
  encodeFeature,
  encodeRouteNote,
  encodeRouteSummary,
} from "./wire_encode.ts";
import {
  decodePoint,
  decodeRectangle,
  decodeRouteNote,
} from "./wire_decode.ts";

/**
 * Wraps an encoder so that a frozen message (the feature database's
 * features) is encoded once and its bytes reused:
 * a frozen object cannot change, so its bytes cannot go stale.
 *
 * @example
 * ```ts
 * import { cachedEncoder } from "./service_definition.ts";
 * import { encodeFeature } from "./wire_encode.ts";
 * const encode = cachedEncoder(encodeFeature);
 * const paris = Object.freeze({ name: "Paris", location: Object.freeze({ latitude: 1, longitude: 2 }) });
 * encode(paris) === encode(paris); // true: the same bytes
 * ```
 */
export function cachedEncoder<T extends object>(
  encode: (message: T) => Buffer,
): (message: T) => Buffer {
  const cache = new WeakMap<T, Buffer>();
  return (message) => {
    let bytes = cache.get(message);
    if (bytes === undefined) {
      bytes = encode(message);
      if (Object.isFrozen(message)) cache.set(message, bytes);
    }
    return bytes;
  };
}

// One cache for both methods: a stored feature is encoded once whether
// GetFeature or ListFeatures sends it.
const encodeStoredFeature = cachedEncoder(encodeFeature);

const serializers: Record<
  string,
  Pick<
    grpc.MethodDefinition<unknown, unknown>,
    "requestDeserialize" | "responseSerialize"
  >
> = {
  GetFeature: {
    requestDeserialize: decodePoint,
    responseSerialize: encodeStoredFeature,
  },
  ListFeatures: {
    requestDeserialize: decodeRectangle,
    responseSerialize: encodeStoredFeature,
  },
  RecordRoute: {
    requestDeserialize: decodePoint,
    responseSerialize: encodeRouteSummary,
  },
  RouteChat: {
    requestDeserialize: decodeRouteNote,
    // Not cached: a stored note is usually sent once or twice, and a
    // WeakMap entry per note cost more (time and memory) than it saved.
    responseSerialize: encodeRouteNote,
  },
} as never;

/**
 * The service definition a RouteGuide server registers (see the module
 * comment): pass it with `toGrpcImplementation`'s implementation.
 *
 * @example
 * ```ts ignore
 * server.addService(routeGuideServerDefinition, toGrpcImplementation(handlers));
 * ```
 */
export const routeGuideServerDefinition: grpc.ServiceDefinition = Object
  .fromEntries(
    Object.entries(routeGuideServiceDefinition).map(([name, method]) => [
      name,
      { ...method, ...serializers[name] },
    ]),
  );
