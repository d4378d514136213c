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

/**
 * One call, passed through with counts taken on the way. It is its own
 * listener, so a call costs one object and no closures.
 */
class LoggedCall extends ListeningCall {
  readonly #method: string;
  readonly #logger: Logger;
  readonly #pastGrace: () => boolean;
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
    pastGrace: () => boolean,
  ) {
    super(next);
    this.#method = method;
    this.#logger = logger;
    this.#pastGrace = pastGrace;
    this.#connection = next.getConnectionInfo();
  }

  #finish(code: number, details?: string): void {
    if (this.#logged) return;
    this.#logged = true;
    const { remoteAddress, remotePort } = this.#connection;
    const fields = {
      method: this.#method,
      peer: remoteAddress === undefined
        ? "unknown"
        : remotePort
        ? `${remoteAddress}:${remotePort}`
        : remoteAddress,
      code: statusName(code),
      ms: Math.round((performance.now() - this.#start) * 10) / 10,
      in: this.#received,
      out: this.#sent,
      details: code === Status.OK ? undefined : details,
    };
    if (SERVER_FAULTS.has(code)) this.#logger.error("call", fields);
    else this.#logger.info("call", fields);
  }

  // The listener side: what the client sends, on its way to the handler.
  override onReceiveMessage(message: unknown): void {
    this.#received++;
    super.onReceiveMessage(message);
  }
  override onCancel(): void {
    // grpc-js reports the end of every call here, after its status too
    // (then logged already). A call that ends because its client went
    // away, its deadline passed or the server stopped it at shutdown
    // never sends a status.
    if (!this.#logged) {
      const deadline = this.next.getDeadline();
      const ms = deadline instanceof Date ? deadline.getTime() : deadline;
      if (this.#pastGrace()) {
        this.#finish(
          Status.CANCELLED,
          "cancelled by the server at shutdown (grace period over)",
        );
      } else if (Number.isFinite(ms) && ms <= Date.now()) {
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
 * `pastGrace` tells when the server itself is cancelling calls at
 * shutdown, so that those are not blamed on their clients.
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
  pastGrace: () => boolean = () => false,
): grpc.ServerInterceptor {
  return (method, call) =>
    asInterceptedCall(new LoggedCall(method.path, call, logger, pastGrace));
}
