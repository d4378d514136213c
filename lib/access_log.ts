/**
 * The access log: a grpc-js server interceptor that writes one line per
 * call with its method, peer, status, duration and message counts.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Status, statusName } from "./errors.ts";
import type { Logger } from "./log.ts";

/** Codes that mean the server failed, logged at `error`; the rest at `info`. */
const SERVER_FAULTS: ReadonlySet<number> = new Set([
  Status.UNKNOWN,
  Status.INTERNAL,
  Status.DATA_LOSS,
  Status.UNIMPLEMENTED,
]);

function deadlinePassed(call: grpc.ServerInterceptingCallInterface): boolean {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) && ms <= Date.now();
}

/**
 * A server interceptor that logs each call once it ends, as `call` with
 * fields `method`, `peer`, `code` (status name), `ms`, `in` and `out`
 * (messages received and sent) and, when not OK, `details`.
 *
 * A call that ends because its client went away or its deadline passed
 * never sends a status; it is logged as CANCELLED or DEADLINE_EXCEEDED.
 * Put it first in the server's `interceptors` so that it sees statuses
 * sent by the interceptors after it (such as authentication).
 *
 * @example
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * import { accessLogInterceptor } from "./access_log.ts";
 * import { createLogger } from "./log.ts";
 * const server = new grpc.Server({ interceptors: [accessLogInterceptor(createLogger())] });
 * ```
 */
export function accessLogInterceptor(logger: Logger): grpc.ServerInterceptor {
  return (method, call) => {
    const start = performance.now();
    // Now: once the connection is gone, grpc-js only knows "unknown".
    const peer = call.getPeer();
    let received = 0;
    let sent = 0;
    let logged = false;
    const finish = (code: number, details?: string) => {
      if (logged) return;
      logged = true;
      const fields = {
        method: method.path,
        peer,
        code: statusName(code),
        ms: Math.round((performance.now() - start) * 10) / 10,
        in: received,
        out: sent,
        details: code === Status.OK ? undefined : details,
      };
      if (SERVER_FAULTS.has(code)) logger.error("call", fields);
      else logger.info("call", fields);
    };
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMessage((message, next) => {
        received++;
        next(message);
      })
      .withOnCancel(() =>
        deadlinePassed(call)
          ? finish(Status.DEADLINE_EXCEEDED, "deadline exceeded")
          : finish(Status.CANCELLED, "cancelled by the client")
      )
      .build();
    const responder = new grpc.ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendMessage((message, next) => {
        sent++;
        next(message);
      })
      .withSendStatus((status, next) => {
        finish(status.code, status.details);
        next(status);
      })
      .build();
    return new grpc.ServerInterceptingCall(call, responder);
  };
}
