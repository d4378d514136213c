/**
 * How the client tells the user what went wrong: any error a command
 * throws becomes one line and an exit status, with TLS mistakes told apart
 * from network ones.
 *
 * @module
 */
import { TokenError } from "../grpc/auth.ts";
import { type ClientTls, CredentialsError } from "../grpc/credentials.ts";
import { UsageError } from "./flags.ts";
import { RouteGuideError, SHUT_DOWN, Status } from "../domain/errors.ts";
import { FeatureFileError } from "../domain/feature_files.ts";

/** What the user is told when something fails, and the exit status. */
export interface Failure {
  /** One line, without the program's name. */
  message: string;
  /** 2 for bad arguments or input, 1 for everything else. */
  exitCode: number;
}

/**
 * Describes any error thrown by a command as one line and an exit status:
 * bad arguments and files (2), an unreachable server, an expired deadline
 * or an error status from the server (1). `tls` is the client's TLS
 * setting (none: plaintext), which tells a TLS mistake from a network one.
 *
 * @example
 * ```ts
 * import { describeFailure } from "./failures.ts";
 * import { RouteGuideError, Status } from "../domain/errors.ts";
 * describeFailure(new RouteGuideError(Status.NOT_FOUND, "no"), "localhost:50051", 10);
 * // { message: "NOT_FOUND: no", exitCode: 1 }
 * ```
 */
export function describeFailure(
  error: unknown,
  address: string,
  timeoutSeconds: number,
  tls?: ClientTls,
): Failure {
  if (
    error instanceof UsageError || error instanceof FeatureFileError ||
    error instanceof CredentialsError || error instanceof TokenError
  ) {
    return { message: oneLine(error.message), exitCode: 2 };
  }
  const failure = RouteGuideError.from(error);
  const details = oneLine(failure.message)
    // grpc-js appends an empty note when name resolution went fine.
    .replace(/\s*Resolution note:\s*$/, "");
  let message: string;
  switch (failure.code) {
    case Status.UNAVAILABLE:
      // The server answered, but its note board's store is out of reach,
      // or it ended the call when its grace period at shutdown ran out.
      if (details.startsWith("RouteChat notes are unavailable")) {
        message =
          "RouteChat: the server's note board is unavailable (try again later)";
      } else if (details.startsWith(SHUT_DOWN)) {
        message =
          `the server at ${address} shut down before the call finished (try again once it is back)`;
      } else if (details === "Connection dropped") {
        message = cutOff(address);
      } else {
        message = `cannot reach ${address}${
          tlsTrouble(details, tls) ?? `: ${details}`
        }`;
      }
      break;
    case Status.DEADLINE_EXCEEDED:
      // grpc-js's text is timing internals ("after 1.002s,LB pick: ...").
      message =
        `no complete answer from ${address} within ${timeoutSeconds} s (see --timeout)`;
      break;
    case Status.CANCELLED:
      // This client cancels no call it does not fail itself (with the
      // error that made it give up), so the server did.
      message = details === "Call cancelled" ? cutOff(address) : details;
      break;
    default:
      message = details;
  }
  return { message: `${failure.codeName}: ${message}`, exitCode: 1 };
}

/**
 * A call cut off in mid-call, such as one whose status could not get past
 * the answers its client had not read when the server cut its connections
 * at shutdown: grpc-js says "Connection dropped" or "Call cancelled".
 */
function cutOff(address: string): string {
  return `the connection to ${address} was cut before the call finished (the server may have stopped; try again once it is back)`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * Why a connection failed, and what to do, when the cause is TLS set up
 * differently on the two sides; undefined for other causes. grpc-js only
 * passes on the socket's last error, so the cause is told from it and from
 * what this client sent.
 */
function tlsTrouble(details: string, tls?: ClientTls): string | undefined {
  const reason = /Last error: (?:Error: )?(.*?)(?: \(\d{4}-[^)]*\))?\.?$/
    .exec(details)?.[1];
  if (reason === undefined) return undefined;
  // A TLS server drops an HTTP/2 preface sent in plaintext at once.
  const dropped = /^(Failed to connect|read ECONNRESET|write EPIPE)$/
    .test(reason);
  if (tls === undefined) {
    return dropped
      ? `: the server closed the connection at once (${reason}); if it serves TLS, add --ca FILE (or --tls)`
      : undefined;
  }
  if (/wrong version number|InvalidContentType/.test(reason)) {
    return ` over TLS: the server answered in plaintext (wrong version number); drop --tls, --ca, --cert and --key, or serve TLS (--tls-cert, --tls-key)`;
  }
  // An alert is the server refusing this client's certificate (or its
  // absence: CertificateRequired), not this client refusing the server's.
  const refused = /^received fatal alert/.test(reason);
  if (!refused && /certificate|Hostname|altnames/i.test(reason)) {
    return ` over TLS: the server's certificate did not verify (${reason}); give --ca the CA that signed it, and dial a name it lists`;
  }
  if (!dropped && !refused) return undefined;
  return tls.cert === undefined
    ? ` over TLS: the server ended the handshake (${reason}); it may require a client certificate (mTLS): add --cert FILE --key FILE`
    : ` over TLS: the server ended the handshake (${reason}); it may not trust this client certificate: use one signed by the server's --tls-client-ca`;
}
