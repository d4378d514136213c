/**
 * `deno bench -P=bench bench/log_bench.ts` (part of `deno task bench`): the
 * cost of one access-log line (the access log is on every call's path),
 * text and JSON, made and written in batches as to stdout but to
 * `/dev/null`, and of a line dropped by the level. The budget is 3% of a
 * GetFeature call's server CPU (about 100 us): about 3 us a line.
 *
 * Usage: deno bench -P=bench bench/log_bench.ts
 *
 * @module
 */
import { createLogger, type LogFields } from "../lib/grpc/log.ts";

let call = 0;
/**
 * The fields lib/grpc/access_log.ts logs for a GetFeature call, made afresh for
 * each line as it does, with a time that varies (a constant one would hit
 * V8's cache of number strings, which real lines mostly miss).
 */
function fields(): LogFields {
  return {
    method: "/routeguide.RouteGuide/GetFeature",
    peer: "127.0.0.1:53412",
    code: "OK",
    ms: (call++ % 1000) / 10,
    in: 1,
    out: 1,
    details: undefined,
  };
}
const output = Deno.openSync("/dev/null", { write: true });

for (const format of ["text", "json"] as const) {
  const logger = createLogger({ format, output });
  Deno.bench(`access-log line, ${format}`, { group: "line" }, () => {
    logger.info("call", fields());
  });
}
const quiet = createLogger({ format: "json", level: "warn", output });
Deno.bench("access-log line below the level", { group: "dropped" }, () => {
  quiet.info("call", fields());
});
