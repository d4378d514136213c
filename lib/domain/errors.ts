/**
 * One error type for the whole library: a message and a gRPC status code.
 *
 * @module
 */
/**
 * The gRPC status codes, as numbered on the wire (the same values as
 * grpc-js's `status`).
 *
 * @example
 * ```ts
 * import { Status } from "./errors.ts";
 * Status.INVALID_ARGUMENT; // 3
 * ```
 */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/**
 * A gRPC status code, e.g. `Status.INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * import { Status, type StatusCode } from "./errors.ts";
 * const code: StatusCode = Status.NOT_FOUND;
 * ```
 */
export type StatusCode = typeof Status[keyof typeof Status];

const STATUS_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Status).map(([name, code]) => [code, name]),
);

/**
 * The name of a gRPC status code, such as `INVALID_ARGUMENT`; unknown codes
 * read `CODE_<n>`.
 *
 * @example
 * ```ts
 * import { statusName } from "./errors.ts";
 * statusName(3); // "INVALID_ARGUMENT"
 * ```
 */
export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? `CODE_${code}`;
}

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
    return statusName(this.code);
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
      typeof code === "number" ? code as StatusCode : Status.INTERNAL,
      message,
      { cause: error },
    );
  }
}
