/**
 * The access log: a grpc-js server interceptor that writes one line per
 * call with its method, peer, status, duration and message counts.
 *
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import { Status, statusName } from "../domain/errors.ts";
import type { Logger } from "./log.ts";
import {
  asInterceptedCall,
  ListeningCall,
  type ServerCall,
  type ServerCallStatus,
} from "./forwarding_call.ts";

/** Codes that mean the server failed, logged at `error`; the rest at `info`. */
const SERVER_FAULTS: ReadonlySet<number> = new Set([
  Status.UNKNOWN,
  Status.INTERNAL,
  Status.DATA_LOSS,
  Status.UNIMPLEMENTED,
]);

type ConnectionInfo = ReturnType<ServerCall["getConnectionInfo"]>;

/** One finished call, as the access log tells it. */
export interface CallRecord {
  /** `/package.Service/Method`. */
  method: string;
  /** `address:port` of the client, or `unknown`. */
  peer: string;
  /** The call's status code. */
  code: number;
  /** `performance.now()` when the call started. */
  start: number;
  /** Messages received from the client. */
  received: number;
  /** Messages sent to the client. */
  sent: number;
  /** The status message; logged unless the call succeeded. */
  details?: string;
}

/**
 * Writes a finished call's access log line: `call` with fields `method`,
 * `peer`, `code`, `ms`, `in`, `out` and, when not OK, `details`; at `error`
 * when the server failed, else at `info`. Every port logs calls this way.
 *
 * @example
 * ```ts
 * import { logCall } from "./access_log.ts";
 * import { createLogger } from "./log.ts";
 * logCall(createLogger({ level: "error" }), {
 *   method: "/routeguide.RouteGuide/GetFeature",
 *   peer: "127.0.0.1:50000",
 *   code: 0,
 *   start: performance.now(),
 *   received: 1,
 *   sent: 1,
 * });
 * ```
 */
export function logCall(logger: Logger, call: CallRecord): void {
  const { code } = call;
  const fields = {
    method: call.method,
    peer: call.peer,
    code: statusName(code),
    ms: Math.round((performance.now() - call.start) * 10) / 10,
    in: call.received,
    out: call.sent,
    details: code === Status.OK ? undefined : call.details,
  };
  if (SERVER_FAULTS.has(code)) logger.error("call", fields);
  else logger.info("call", fields);
}

/**
 * One call, passed through with counts taken on the way. It is its own
 * listener, so a call costs one object and no closures.
 */
class LoggedCall extends ListeningCall {
  readonly #method: string;
  readonly #logger: Logger;
  readonly #start = performance.now();
  // Taken now: grpc-js reads the address once, when the call starts, so
  // it is still known after the connection is gone.
  readonly #connection: ConnectionInfo;
  #received = 0;
  #sent = 0;
  #logged = false;

  constructor(
    method: string,
    next: ServerCall,
    logger: Logger,
  ) {
    super(next);
    this.#method = method;
    this.#logger = logger;
    this.#connection = next.getConnectionInfo();
  }

  #finish(code: number, details?: string): void {
    if (this.#logged) return;
    this.#logged = true;
    const { remoteAddress, remotePort } = this.#connection;
    logCall(this.#logger, {
      method: this.#method,
      peer: remoteAddress === undefined
        ? "unknown"
        : remotePort
        ? `${remoteAddress}:${remotePort}`
        : remoteAddress,
      code,
      start: this.#start,
      received: this.#received,
      sent: this.#sent,
      details,
    });
  }

  // The listener side: what the client sends, on its way to the handler.
  override onReceiveMessage(message: unknown): void {
    this.#received++;
    super.onReceiveMessage(message);
  }
  override onCancel(): void {
    // grpc-js reports the end of every call here, after its status too
    // (then logged already). A call that ends because its client went
    // away or its deadline passed never sends a status. (Calls still
    // running when the grace period runs out are sent UNAVAILABLE.)
    if (!this.#logged) {
      const deadline = this.next.getDeadline();
      const ms = deadline instanceof Date ? deadline.getTime() : deadline;
      if (Number.isFinite(ms) && ms <= Date.now()) {
        this.#finish(Status.DEADLINE_EXCEEDED, "deadline exceeded");
      } else this.#finish(Status.CANCELLED, "cancelled by the client");
    }
    super.onCancel();
  }

  // The call side: what the handler sends, on its way to the client.
  override sendMessage(message: unknown, callback: () => void): void {
    this.#sent++;
    this.next.sendMessage(message, callback);
  }
  override sendStatus(status: ServerCallStatus): void {
    this.#finish(status.code, status.details);
    this.next.sendStatus(status);
  }
  override getConnectionInfo(): ConnectionInfo {
    return this.#connection;
  }
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
export function accessLogInterceptor(
  logger: Logger,
): grpc.ServerInterceptor {
  return (method, call) =>
    asInterceptedCall(new LoggedCall(method.path, call, logger));
}
