/**
 * The standard `grpc.health.v1.Health` service (npm `grpc-health-check`),
 * reporting on the whole server (`""`) and on `routeguide.RouteGuide`.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { SERVICE_NAME } from "./proto.ts";

/**
 * The service names health reports on: the server as a whole, and ours.
 *
 * @example
 * ```ts
 * import { HEALTH_SERVICES } from "./health.ts";
 * HEALTH_SERVICES; // ["", "routeguide.RouteGuide"]
 * ```
 */
export const HEALTH_SERVICES: readonly string[] = ["", SERVICE_NAME];

/** Switches what the health service reports. */
export interface HealthStatus {
  /**
   * Reports SERVING (true) or NOT_SERVING (false) for `service`, or for
   * every service when it is omitted.
   */
  setServing(serving: boolean, service?: string): void;
}

/**
 * Adds the health service to `server`, reporting SERVING for `""` and
 * `routeguide.RouteGuide`; Watch streams see every change.
 *
 * @example
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * import { addHealthService } from "./health.ts";
 * const server = new grpc.Server();
 * const health = addHealthService(server);
 * health.setServing(false); // at shutdown
 * ```
 */
export function addHealthService(server: grpc.Server): HealthStatus {
  const health = new HealthImplementation(
    Object.fromEntries(HEALTH_SERVICES.map((name) => [name, "SERVING"])),
  );
  health.addToServer(server);
  return {
    setServing(serving, service) {
      for (const name of service === undefined ? HEALTH_SERVICES : [service]) {
        health.setStatus(name, serving ? "SERVING" : "NOT_SERVING");
      }
    },
  };
}
