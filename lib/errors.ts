/**
 * One error type for the whole library: a message and a gRPC status code.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";

/**
 * gRPC status codes (the numbers on the wire), e.g. `Status.INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * import { Status } from "./errors.ts";
 * Status.NOT_FOUND; // 5
 * ```
 */
export const Status: typeof status = status;

/** A gRPC status code, e.g. `Status.INVALID_ARGUMENT`. */
export type StatusCode = status;

/**
 * An error carrying a gRPC status code. Handlers throw it to end a call with
 * that status; the client rejects with it when a call fails.
 *
 * @example
 * ```ts
 * import { RouteGuideError, Status } from "./errors.ts";
 * const err = new RouteGuideError(Status.INVALID_ARGUMENT, "latitude 910000000 is outside +-90 degrees");
 * err.code === Status.INVALID_ARGUMENT; // true
 * ```
 */
export class RouteGuideError extends Error {
  /** The gRPC status code. */
  readonly code: StatusCode;

  /** Creates an error with a status code and a message for the peer. */
  constructor(code: StatusCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RouteGuideError";
    this.code = code;
  }

  /** The status code's name, such as `INVALID_ARGUMENT`. */
  get codeName(): string {
    return Status[this.code] ?? `CODE_${this.code}`;
  }

  /**
   * Wraps anything thrown into a RouteGuideError; errors that carry a
   * numeric `code` (grpc-js's ServiceError) keep it, others become INTERNAL.
   *
   * @example
   * ```ts
   * import { RouteGuideError, Status } from "./errors.ts";
   * RouteGuideError.from(new Error("boom")).code === Status.INTERNAL; // true
   * ```
   */
  static from(error: unknown): RouteGuideError {
    if (error instanceof RouteGuideError) return error;
    const code = (error as { code?: unknown })?.code;
    const details = (error as { details?: unknown })?.details;
    const message = typeof details === "string" && details !== ""
      ? details
      : error instanceof Error
      ? error.message
      : String(error);
    return new RouteGuideError(
      typeof code === "number" ? code : Status.INTERNAL,
      message,
      { cause: error },
    );
  }
}
