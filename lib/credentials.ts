/**
 * TLS and mTLS credentials for the server and the client, read from PEM
 * files, with three quirks of grpc-js on Deno handled here:
 *
 * - `ServerCredentials.createSsl(null, ...)` falls back to the file named
 *   by `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`, and with that set the handshake
 *   fails; so a CA is always passed explicitly.
 * - Deno refuses an IP address as TLS `servername`; for an IP target the
 *   client sends a fixed name instead and checks the certificate against
 *   the IP itself.
 * - Keys and certificates must be Buffers, not Uint8Arrays.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { isIP } from "node:net";
import { checkServerIdentity } from "node:tls";
import { bearerTokenClientInterceptor, loadToken, TOKEN_ENV } from "./auth.ts";
import type { ClientOptions } from "./client.ts";

/**
 * A TLS file is missing, unreadable, not PEM, or the flags do not fit; the
 * message is one line naming the flag and the file.
 *
 * @example
 * ```ts ignore
 * import { CredentialsError, loadServerCredentials } from "./credentials.ts";
 * try {
 *   await loadServerCredentials({ cert: "server.crt", key: "server.key" });
 * } catch (error) {
 *   if (error instanceof CredentialsError) console.error(error.message);
 * }
 * ```
 */
export class CredentialsError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "CredentialsError";
  }
}

/** Reads a PEM file as a Buffer; `flag` names it in errors. */
async function readPem(flag: string, path: string): Promise<Buffer> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : (error as Error).message;
    throw new CredentialsError(`cannot read ${flag} ${path}: ${reason}`);
  }
  const pem = Buffer.from(bytes);
  if (!pem.includes("-----BEGIN ")) {
    throw new CredentialsError(`${flag} ${path} is not a PEM file`);
  }
  return pem;
}

/** PEM files for a TLS server. */
export interface ServerTlsFiles {
  /** Certificate chain (`--tls-cert`). */
  cert: string;
  /** Private key (`--tls-key`). */
  key: string;
  /** CA that client certificates must chain to; set for mTLS (`--tls-client-ca`). */
  clientCa?: string;
}

/**
 * Server credentials from PEM files: TLS, or mTLS when `clientCa` is set
 * (clients without a certificate signed by that CA are refused).
 *
 * @example
 * ```ts ignore
 * import { loadServerCredentials } from "./credentials.ts";
 * const credentials = await loadServerCredentials({ cert: "server.crt", key: "server.key" });
 * ```
 */
export async function loadServerCredentials(
  files: ServerTlsFiles,
): Promise<grpc.ServerCredentials> {
  const cert = await readPem("--tls-cert", files.cert);
  const key = await readPem("--tls-key", files.key);
  const pair = [{ cert_chain: cert, private_key: key }];
  if (files.clientCa !== undefined) {
    const ca = await readPem("--tls-client-ca", files.clientCa);
    return grpc.ServerCredentials.createSsl(ca, pair, true);
  }
  // No client certificates are asked for, so this CA is never used; it only
  // stops grpc-js from loading GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (see above).
  return grpc.ServerCredentials.createSsl(cert, pair, false);
}

/** How the client reaches the server. */
export interface ClientSecurity {
  /** Use TLS (implied by `ca`, `cert` or `key`). */
  tls?: boolean;
  /** CA to verify the server with (default: the system's roots). */
  ca?: string;
  /** Client certificate chain, for mTLS (with `key`). */
  cert?: string;
  /** Client private key, for mTLS (with `cert`). */
  key?: string;
  /** Shared bearer token sent with every call. */
  token?: string;
}

/** The host part of a grpc-js target such as `host:port` or `[::1]:port`. */
function targetHost(target: string): string {
  const bare = target.replace(/^(dns|ipv4|ipv6):(\/\/[^/]*\/)?/, "");
  const bracketed = /^\[([^\]]+)\]/.exec(bare);
  if (bracketed) return bracketed[1];
  const colons = bare.split(":").length - 1;
  return colons === 1 ? bare.slice(0, bare.indexOf(":")) : bare;
}

/** The name sent as TLS SNI for IP targets, which Deno refuses as servername. */
const IP_TARGET_SERVERNAME = "localhost";

/**
 * Client options for {@link RouteGuideClient} (credentials and channel
 * options) from the CLI's `--tls`, `--ca`, `--cert`, `--key` and the token.
 * Without any TLS setting the channel is plaintext.
 *
 * @example
 * ```ts ignore
 * import { loadClientOptions } from "./credentials.ts";
 * import { RouteGuideClient } from "./client.ts";
 * const target = "127.0.0.1:50051";
 * const client = new RouteGuideClient(target, await loadClientOptions(target, { ca: "ca.crt" }));
 * ```
 */
export async function loadClientOptions(
  target: string,
  security: ClientSecurity,
): Promise<ClientOptions> {
  const channelOptions: grpc.ChannelOptions = {};
  if (security.token !== undefined) {
    channelOptions.interceptors = [
      bearerTokenClientInterceptor(security.token),
    ];
  }
  const { ca, cert, key } = security;
  if (
    !security.tls && ca === undefined && cert === undefined && key === undefined
  ) {
    return { credentials: grpc.credentials.createInsecure(), channelOptions };
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw new CredentialsError("--cert and --key must be given together");
  }
  const caPem = ca === undefined ? null : await readPem("--ca", ca);
  const certPem = cert === undefined ? null : await readPem("--cert", cert);
  const keyPem = key === undefined ? null : await readPem("--key", key);
  const host = targetHost(target);
  let verify: grpc.VerifyOptions = {};
  if (isIP(host)) {
    channelOptions["grpc.ssl_target_name_override"] = IP_TARGET_SERVERNAME;
    // grpc-js passes the override name; check the certificate against the IP.
    verify = {
      checkServerIdentity: (_name, peer) => checkServerIdentity(host, peer),
    };
  }
  return {
    credentials: grpc.credentials.createSsl(caPem, keyPem, certPem, verify),
    channelOptions,
  };
}

/**
 * The client CLI's security flags, for `node:util` `parseArgs` options:
 * `--tls`, `--ca`, `--cert`, `--key`, `--token-file`.
 */
export const CLIENT_SECURITY_FLAGS = {
  tls: { type: "boolean" },
  ca: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  "token-file": { type: "string" },
} as const;

/** `--help` lines for {@link CLIENT_SECURITY_FLAGS}. */
export const CLIENT_SECURITY_HELP =
  `  --tls                 connect with TLS (implied by --ca, --cert, --key)
  --ca FILE             PEM CA to verify the server with (default: system roots)
  --cert FILE           PEM client certificate, for mTLS (with --key)
  --key FILE            PEM client private key, for mTLS (with --cert)
  --token-file FILE     send 'authorization: Bearer <token>' with the token in
                        FILE (default: $${TOKEN_ENV}, if set)
`;

/**
 * Client options from parsed {@link CLIENT_SECURITY_FLAGS}: TLS files and
 * the token from `--token-file` or `$ROUTEGUIDE_TOKEN`. Throws a
 * CredentialsError or TokenError with a one-line message.
 *
 * @example
 * ```ts ignore
 * import { parseArgs } from "node:util";
 * const { values } = parseArgs({ options: { ...CLIENT_SECURITY_FLAGS } });
 * const client = new RouteGuideClient(addr, await clientOptionsFromFlags(addr, values));
 * ```
 */
export async function clientOptionsFromFlags(
  target: string,
  flags: {
    tls?: boolean;
    ca?: string;
    cert?: string;
    key?: string;
    "token-file"?: string;
  },
): Promise<ClientOptions> {
  return await loadClientOptions(target, {
    tls: flags.tls,
    ca: flags.ca,
    cert: flags.cert,
    key: flags.key,
    token: await loadToken(flags["token-file"]),
  });
}
