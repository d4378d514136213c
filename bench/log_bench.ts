/**
 * `deno bench -P=bench bench/log_bench.ts` (part of `deno task bench`): the cost of one access-log line (the access log is
 * on every call's path), text and JSON, formatting only (lines go to a
 * function that keeps their length, not to a file descriptor), and of a
 * line dropped by the level.
 *
 * Usage: deno bench -P=bench bench/log_bench.ts
 *
 * @module
 */
import { createLogger } from "../lib/log.ts";

/** The fields lib/access_log.ts logs for a GetFeature call. */
const fields = {
  method: "/routeguide.RouteGuide/GetFeature",
  peer: "127.0.0.1:53412",
  code: "OK",
  ms: 0.4,
  in: 1,
  out: 1,
  details: undefined,
};
// Keeps the lines' lengths so that their making cannot be optimised away.
let written = 0;
const write = (line: string) => {
  written += line.length;
};

for (const format of ["text", "json"] as const) {
  const logger = createLogger({ format, write });
  Deno.bench(`access-log line, ${format}`, { group: "line" }, () => {
    logger.info("call", fields);
  });
}
const quiet = createLogger({ format: "json", level: "warn", write });
Deno.bench("access-log line below the level", { group: "dropped" }, () => {
  quiet.info("call", fields);
});
