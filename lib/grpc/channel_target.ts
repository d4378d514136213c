/**
 * What a client dials: one address as given, or several as one channel
 * that spreads calls over them (round_robin), which grpc-js takes only
 * in its own target syntax.
 *
 * @module
 */
/**
 * A grpc-js target with the channel options it needs.
 *
 * @example
 * ```ts
 * import { channelTarget } from "./channel_target.ts";
 * channelTarget("127.0.0.1:50061,127.0.0.1:50062").target; // "ipv4:127.0.0.1:50061,127.0.0.1:50062"
 * ```
 */
export interface ChannelTarget {
  /** What to pass to a grpc-js client as its target. */
  target: string;
  /** Channel options the target needs (a service config for round_robin). */
  channelOptions: Record<string, string | number>;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}:\d+$/;
const IPV6 = /^\[[0-9a-fA-F:.]+\]:\d+$/;
/** A grpc-js target scheme (`dns:`, `ipv4:`, `unix:`, ...) leading an address. */
export const SCHEME = /^(dns|ipv4|ipv6|unix|unix-abstract|vsock):/;

/**
 * The grpc-js target for one address or several replicas. One address (or a
 * grpc-js target such as `dns:name:port`) is used as it is. Several,
 * given as a list or one comma-separated string, become a static
 * `ipv4:`/`ipv6:` target with the `round_robin` policy, so calls are spread
 * over every replica and a replica that goes away is skipped. grpc-js can
 * only list IP addresses this way: `localhost` stands for 127.0.0.1, and
 * other host names are refused (one DNS name that resolves to every replica
 * balances the same way: pass it alone).
 *
 * @example
 * ```ts
 * import { channelTarget } from "./channel_target.ts";
 * channelTarget("127.0.0.1:50051,127.0.0.1:50052").target;
 * // "ipv4:127.0.0.1:50051,127.0.0.1:50052"
 * ```
 */
export function channelTarget(
  addresses: string | readonly string[],
): ChannelTarget {
  // One address goes to grpc-js untouched (it judges what it can dial).
  if (
    typeof addresses === "string" &&
    (SCHEME.test(addresses) || !addresses.includes(","))
  ) {
    return { target: addresses, channelOptions: {} };
  }
  const list = typeof addresses === "string" ? addresses.split(",") : addresses;
  const trimmed = list.map((address) => address.trim()).filter((a) => a);
  if (trimmed.length === 0) throw new RangeError("no server address given");
  if (trimmed.length === 1) return { target: trimmed[0], channelOptions: {} };
  const ips = trimmed.map((address) =>
    address.replace(/^localhost:/, "127.0.0.1:")
  );
  const family = ips.every((a) => IPV4.test(a))
    ? "ipv4"
    : ips.every((a) => IPV6.test(a))
    ? "ipv6"
    : undefined;
  if (family === undefined) {
    const bad = ips.find((a) => !IPV4.test(a) && !IPV6.test(a)) ?? ips[0];
    throw new RangeError(
      `address list entries must all be IPv4 (1.2.3.4:port) or all IPv6 ([::1]:port), got '${bad}'`,
    );
  }
  return {
    target: `${family}:${ips.join(",")}`,
    channelOptions: {
      "grpc.service_config": JSON.stringify({
        loadBalancingConfig: [{ round_robin: {} }],
      }),
    },
  };
}
