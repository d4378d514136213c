/**
 * One error type for the whole library: a message and a gRPC status code.
 *
 * @module
 */
/**
 * The gRPC status codes, as numbered on the wire (the same values as
 * grpc-js's `status`).
 *
 * @example Telling failures apart by status code
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouteGuideError, Status } from "./errors.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
 * import { createRouteGuide } from "./service.ts";
 * const guide = createRouteGuide({ features: new FeatureDatabase([]), notes: new MemoryNoteBoard() });
 * const context = { signal: new AbortController().signal };
 * const offTheMap = { latitude: 910_000_000, longitude: 0 };
 * await assert.rejects(
 *   async () => await guide.getFeature(offTheMap, context),
 *   (error) => error instanceof RouteGuideError && error.code === Status.INVALID_ARGUMENT,
 * );
 * assert.equal(Status.INVALID_ARGUMENT, 3); // as numbered on the wire
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
 * @example Deciding from a status code whether to retry
 * ```ts
 * import assert from "node:assert/strict";
 * import { Status, type StatusCode } from "./errors.ts";
 * const retryable = (code: StatusCode) =>
 *   code === Status.UNAVAILABLE || code === Status.RESOURCE_EXHAUSTED;
 * assert.equal(retryable(Status.UNAVAILABLE), true);
 * assert.equal(retryable(Status.INVALID_ARGUMENT), false);
 * ```
 */
export type StatusCode = typeof Status[keyof typeof Status];

/**
 * The details of the UNAVAILABLE status a server sends, on either port, to
 * calls still running when its grace period at shutdown runs out; the
 * client tells it from other UNAVAILABLEs by them.
 */
export const SHUT_DOWN = "the server shut down before the call finished";

/**
 * The details of the RESOURCE_EXHAUSTED status a server sends, on either
 * port, to a call whose client leaves too much of what it is sent unread.
 */
export const NOT_READING = "the client is not reading its answers";

const STATUS_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Status).map(([name, code]) => [code, name]),
);

/**
 * The name of a gRPC status code, such as `INVALID_ARGUMENT`; unknown codes
 * read `CODE_<n>`.
 *
 * @example Naming known and unknown codes
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusName } from "./errors.ts";
 * assert.equal(statusName(3), "INVALID_ARGUMENT");
 * assert.equal(statusName(99), "CODE_99");
 * ```
 */
export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? `CODE_${code}`;
}

/**
 * An error carrying a gRPC status code. Handlers throw it to end a call with
 * that status; the client rejects with it when a call fails.
 *
 * @example Ending a call from a handler with NOT_FOUND
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouteGuideError, Status } from "./errors.ts";
 * import type { Point } from "./types.ts";
 * // A handler that knows only one place: anywhere else is NOT_FOUND.
 * const getFeature = (point: Point) => {
 *   if (point.latitude !== 0 || point.longitude !== 0) {
 *     throw new RouteGuideError(Status.NOT_FOUND, `nothing at ${point.latitude},${point.longitude}`);
 *   }
 *   return { name: "Null Island", location: point };
 * };
 * assert.throws(() => getFeature({ latitude: 1, longitude: 2 }), {
 *   name: "RouteGuideError",
 *   code: Status.NOT_FOUND,
 *   codeName: "NOT_FOUND",
 *   message: "nothing at 1,2",
 * });
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
   * @example Wrapping a grpc-js error and a plain one
   * ```ts
   * import assert from "node:assert/strict";
   * import { RouteGuideError, Status } from "./errors.ts";
   * // grpc-js rejects with an Error carrying `code` and `details`.
   * const grpcError = Object.assign(new Error("14 UNAVAILABLE: No connection established"), {
   *   code: Status.UNAVAILABLE,
   *   details: "No connection established",
   * });
   * const wrapped = RouteGuideError.from(grpcError);
   * assert.equal(wrapped.code, Status.UNAVAILABLE);
   * assert.equal(wrapped.message, "No connection established");
   * assert.equal(wrapped.cause, grpcError);
   * assert.equal(RouteGuideError.from(new Error("boom")).codeName, "INTERNAL");
   * assert.equal(RouteGuideError.from(wrapped), wrapped);
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
