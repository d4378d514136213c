/**
 * Shared bearer-token authentication: a server interceptor that ends calls
 * lacking `authorization: Bearer <token>` with UNAUTHENTICATED, a client
 * interceptor that sends the token, and loading the token from a file or
 * the environment. The token never appears in errors or logs.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { createHash, timingSafeEqual } from "node:crypto";
import { Status } from "../domain/errors.ts";
import {
  asInterceptedCall,
  ListeningCall,
  type ServerCall,
} from "./forwarding_call.ts";

/**
 * Environment variable that holds the shared token.
 *
 * @example
 * ```ts
 * import { TOKEN_ENV } from "./auth.ts";
 * const token = Deno.env.get(TOKEN_ENV); // ROUTEGUIDE_TOKEN
 * ```
 */
export const TOKEN_ENV = "ROUTEGUIDE_TOKEN";

/** Methods under this prefix stay open, so probes need no token. */
export const HEALTH_PREFIX = "/grpc.health.v1.Health/";

/**
 * The token is missing, unreadable or not a valid header value. The
 * message names the source (file or variable), never the token.
 *
 * @example
 * ```ts ignore
 * import { loadToken, TokenError } from "./auth.ts";
 * try {
 *   await loadToken("/run/secrets/token");
 * } catch (error) {
 *   if (error instanceof TokenError) console.error(error.message);
 * }
 * ```
 */
export class TokenError extends Error {
  /** Creates the error; `message` never contains the token. */
  constructor(message: string) {
    super(message);
    this.name = "TokenError";
  }
}

// Metadata values must be printable ASCII; no spaces, so the header parses.
const TOKEN_SYNTAX = /^[\x21-\x7e]+$/;

function checked(token: string, source: string): string {
  if (token === "") throw new TokenError(`${source} is empty`);
  if (!TOKEN_SYNTAX.test(token)) {
    throw new TokenError(
      `${source} must be printable ASCII without spaces`,
    );
  }
  return token;
}

/**
 * Loads the shared token: from `file` when given (surrounding whitespace,
 * such as the final newline, is dropped), else from `$ROUTEGUIDE_TOKEN`;
 * `undefined` when neither is set. Throws a {@link TokenError} naming the
 * source, never the token, when it cannot be used.
 *
 * @example
 * ```ts ignore
 * import { loadToken } from "./auth.ts";
 * const token = await loadToken("/run/secrets/routeguide-token");
 * ```
 */
export async function loadToken(
  file?: string,
  env: { get(name: string): string | undefined } = Deno.env,
): Promise<string | undefined> {
  if (file !== undefined) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      throw new TokenError(
        `cannot read token file ${file}: ${(error as Error).name}`,
      );
    }
    return checked(text.trim(), `token file ${file}`);
  }
  const value = env.get(TOKEN_ENV);
  return value === undefined ? undefined : checked(value, `$${TOKEN_ENV}`);
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * Whether an `authorization` value is `Bearer <token>`. Tokens are
 * compared as SHA-256 digests with `timingSafeEqual`, so the time taken
 * says nothing about the token or its length. Both ports check with it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bearerTokenMatcher } from "./auth.ts";
 * const matches = bearerTokenMatcher("s3cret");
 * assert.ok(matches("Bearer s3cret"));
 * assert.ok(!matches("Bearer guess"));
 * assert.ok(!matches(null));
 * ```
 */
export function bearerTokenMatcher(
  token: string,
): (authorization: string | null) => boolean {
  const expected = digest(checked(token, "token"));
  return (authorization) => {
    if (authorization === null) return false;
    const match = /^bearer +(\S+)$/i.exec(authorization);
    return match !== null && timingSafeEqual(digest(match[1]), expected);
  };
}

/**
 * A server interceptor requiring `authorization: Bearer <token>` on every
 * call except health checks (and whatever `isOpen` allows), checked by
 * {@link bearerTokenMatcher}.
 *
 * @example
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * import { bearerTokenInterceptor } from "./auth.ts";
 * const server = new grpc.Server({ interceptors: [bearerTokenInterceptor("s3cret")] });
 * ```
 */
export function bearerTokenInterceptor(
  token: string,
  isOpen: (path: string) => boolean = (path) => path.startsWith(HEALTH_PREFIX),
): grpc.ServerInterceptor {
  const matches = bearerTokenMatcher(token);
  const authorized = (metadata: grpc.Metadata): boolean => {
    const values = metadata.get("authorization");
    return values.length === 1 && matches(String(values[0]));
  };
  return (method, call) =>
    asInterceptedCall(
      isOpen(method.path) ? call : new AuthorizedCall(call, authorized),
    );
}

/**
 * A call that reaches its handler only if its metadata passes `authorized`;
 * otherwise it ends with UNAUTHENTICATED and nothing more the client sends
 * is passed on.
 */
class AuthorizedCall extends ListeningCall {
  readonly #authorized: (metadata: grpc.Metadata) => boolean;
  #rejected = false;

  constructor(
    next: ServerCall,
    authorized: (metadata: grpc.Metadata) => boolean,
  ) {
    super(next);
    this.#authorized = authorized;
  }

  override onReceiveMetadata(metadata: grpc.Metadata): void {
    if (this.#authorized(metadata)) {
      super.onReceiveMetadata(metadata);
      return;
    }
    this.#rejected = true;
    this.next.sendStatus({
      code: Status.UNAUTHENTICATED,
      details: "missing or wrong bearer token in authorization metadata",
    });
  }
  override onReceiveMessage(message: unknown): void {
    if (!this.#rejected) super.onReceiveMessage(message);
  }
  override onReceiveHalfClose(): void {
    if (!this.#rejected) super.onReceiveHalfClose();
  }
}

/**
 * A client interceptor that adds `authorization: Bearer <token>` to every
 * call. Over plaintext the token is readable on the wire: use TLS.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient } from "./client.ts";
 * import { bearerTokenClientInterceptor } from "./auth.ts";
 * const client = new RouteGuideClient("localhost:50051", {
 *   channelOptions: { interceptors: [bearerTokenClientInterceptor("s3cret")] },
 * });
 * ```
 */
export function bearerTokenClientInterceptor(
  token: string,
): grpc.Interceptor {
  const value = `Bearer ${checked(token, "token")}`;
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set("authorization", value);
        next(metadata, listener);
      },
    });
}
