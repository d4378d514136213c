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
import { createPrivateKey, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { checkServerIdentity } from "node:tls";
import { bearerTokenClientInterceptor } from "./auth.ts";

/**
 * A TLS file is missing, unreadable, not PEM, a key is not its
 * certificate's, or the flags do not fit; the
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

/**
 * Reads a certificate and its private key; refuses a key that is not the
 * certificate's, which would otherwise fail every handshake later.
 */
async function readPair(
  certFlag: string,
  certPath: string,
  keyFlag: string,
  keyPath: string,
): Promise<{ cert: Buffer; key: Buffer }> {
  const cert = await readPem(certFlag, certPath);
  const key = await readPem(keyFlag, keyPath);
  let x509;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new CredentialsError(`${certFlag} ${certPath} holds no certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new CredentialsError(`${keyFlag} ${keyPath} holds no private key`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new CredentialsError(
      `${keyFlag} ${keyPath} is not the key of ${certFlag} ${certPath}; give the key the certificate was made with`,
    );
  }
  return { cert, key };
}

/**
 * PEM files for a TLS server.
 *
 * @example
 * ```ts
 * import type { ServerTlsFiles } from "./credentials.ts";
 * const files: ServerTlsFiles = { cert: "server.crt", key: "server.key", clientCa: "clients-ca.crt" };
 * ```
 */
export interface ServerTlsFiles {
  /** Certificate chain (`--tls-cert`). */
  cert: string;
  /** Private key (`--tls-key`). */
  key: string;
  /** CA that client certificates must chain to; set for mTLS (`--tls-client-ca`). */
  clientCa?: string;
}

/**
 * A TLS server's PEM material: TLS, or mTLS when `clientCa` is set (clients
 * without a certificate signed by that CA are refused).
 *
 * @example Serving TLS with a certificate from a CA of your own
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouteGuideClient, startServer } from "../../mod.ts";
 * const dir = await Deno.makeTempDir();
 * const openssl = async (...args: string[]) =>
 *   assert.ok((await new Deno.Command("openssl", { args, cwd: dir, stderr: "null" }).output()).success);
 * const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
 * await openssl("req", "-x509", ...ec, "-days", "1", "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=ca");
 * await openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
 * // X.509 v3 with the names clients dial: Deno's TLS refuses v1 certificates.
 * await Deno.writeTextFile(`${dir}/v3.ext`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
 * await openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
 *   "-CAcreateserial", "-days", "1", "-out", "server.crt", "-extfile", "v3.ext");
 * const server = await startServer({
 *   host: "127.0.0.1",
 *   port: 0,
 *   tls: {
 *     cert: await Deno.readFile(`${dir}/server.crt`),
 *     key: await Deno.readFile(`${dir}/server.key`),
 *   },
 * });
 * const client = new RouteGuideClient(server.address, {
 *   tls: { ca: await Deno.readFile(`${dir}/ca.crt`) },
 * });
 * try {
 *   assert.equal((await client.getFeature({ latitude: 1, longitude: 1 })).name, "");
 * } finally {
 *   client.close();
 *   await server.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface ServerTls {
  /** PEM certificate chain. */
  cert: Uint8Array;
  /** PEM private key. */
  key: Uint8Array;
  /** PEM CA that client certificates must chain to (mTLS). */
  clientCa?: Uint8Array;
}

/**
 * Reads a TLS server's PEM files, with one-line errors naming the flag and
 * the file.
 *
 * @example
 * ```ts ignore
 * import { loadServerTls } from "./credentials.ts";
 * const tls = await loadServerTls({ cert: "server.crt", key: "server.key" });
 * ```
 */
export async function loadServerTls(files: ServerTlsFiles): Promise<ServerTls> {
  return {
    ...await readPair("--tls-cert", files.cert, "--tls-key", files.key),
    clientCa: files.clientCa === undefined
      ? undefined
      : await readPem("--tls-client-ca", files.clientCa),
  };
}

/** grpc-js server credentials for `tls`; plaintext without it. */
export function serverCredentials(tls?: ServerTls): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  const cert = Buffer.from(tls.cert);
  const pair = [{ cert_chain: cert, private_key: Buffer.from(tls.key) }];
  if (tls.clientCa !== undefined) {
    return grpc.ServerCredentials.createSsl(
      Buffer.from(tls.clientCa),
      pair,
      true,
    );
  }
  // No client certificates are asked for, so this CA is never used; it only
  // stops grpc-js from loading GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (see above).
  return grpc.ServerCredentials.createSsl(cert, pair, false);
}

/**
 * A TLS client's PEM material; an empty object means TLS verified against
 * the system's roots.
 *
 * @example TLS to a server that does not speak it fails as UNAVAILABLE
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouteGuideClient, RouteGuideError, startServer, Status } from "../../mod.ts";
 * const plaintext = await startServer({ host: "127.0.0.1", port: 0 });
 * const client = new RouteGuideClient(plaintext.address, { tls: {} });
 * try {
 *   await assert.rejects(
 *     client.getFeature({ latitude: 1, longitude: 1 }, { timeoutMs: 5_000 }),
 *     (error) => error instanceof RouteGuideError && error.code === Status.UNAVAILABLE,
 *   );
 * } finally {
 *   client.close();
 *   await plaintext.close();
 * }
 * ```
 */
export interface ClientTls {
  /** PEM CA to verify the server with (default: the system's roots). */
  ca?: Uint8Array;
  /** PEM client certificate chain, for mTLS (with `key`). */
  cert?: Uint8Array;
  /** PEM client private key, for mTLS (with `cert`). */
  key?: Uint8Array;
}

/**
 * How a client reaches the server, as file names.
 *
 * @example
 * ```ts
 * import type { ClientSecurity } from "./credentials.ts";
 * const mtls: ClientSecurity = { ca: "ca.crt", cert: "client.crt", key: "client.key" };
 * ```
 */
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
  const bare = target.replace(/^(dns|ipv4|ipv6):(\/\/[^/]*\/)?/, "")
    .split(",")[0];
  const bracketed = /^\[([^\]]+)\]/.exec(bare);
  if (bracketed) return bracketed[1];
  const colons = bare.split(":").length - 1;
  return colons === 1 ? bare.slice(0, bare.indexOf(":")) : bare;
}

/** The name sent as TLS SNI for IP targets, which Deno refuses as servername. */
const IP_TARGET_SERVERNAME = "localhost";

/**
 * A client's TLS material and token (as `RouteGuideClient` takes them in
 * its options), read from the files `security` names. Without any TLS
 * setting the channel is plaintext.
 *
 * @example
 * ```ts ignore
 * import { loadClientOptions } from "./credentials.ts";
 * import { RouteGuideClient } from "./client.ts";
 * const client = new RouteGuideClient("127.0.0.1:50051", await loadClientOptions({ ca: "ca.crt" }));
 * ```
 */
export async function loadClientOptions(
  security: ClientSecurity,
): Promise<{ tls?: ClientTls; token?: string }> {
  const { ca, cert, key, token } = security;
  if (
    !security.tls && ca === undefined && cert === undefined && key === undefined
  ) {
    return { token };
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw new CredentialsError("--cert and --key must be given together");
  }
  return {
    token,
    tls: {
      ca: ca === undefined ? undefined : await readPem("--ca", ca),
      ...cert !== undefined && key !== undefined &&
        await readPair("--cert", cert, "--key", key),
    },
  };
}

/**
 * grpc-js channel credentials and options for a client of `target`: TLS
 * when `options.tls` is set, and the bearer token on every call.
 */
export function channelSecurity(
  target: string,
  options: { tls?: ClientTls; token?: string },
): {
  credentials: grpc.ChannelCredentials;
  channelOptions: grpc.ChannelOptions;
} {
  const channelOptions: grpc.ChannelOptions = {};
  if (options.token !== undefined) {
    channelOptions.interceptors = [bearerTokenClientInterceptor(options.token)];
  }
  const tls = options.tls;
  if (tls === undefined) {
    return { credentials: grpc.credentials.createInsecure(), channelOptions };
  }
  const host = targetHost(target);
  let verify: grpc.VerifyOptions = {};
  if (isIP(host)) {
    channelOptions["grpc.ssl_target_name_override"] = IP_TARGET_SERVERNAME;
    // grpc-js passes the override name; check the certificate against the IP.
    verify = {
      checkServerIdentity: (_name, peer) => checkServerIdentity(host, peer),
    };
  }
  const pem = (bytes?: Uint8Array) =>
    bytes === undefined ? null : Buffer.from(bytes);
  return {
    credentials: grpc.credentials.createSsl(
      pem(tls.ca),
      pem(tls.key),
      pem(tls.cert),
      verify,
    ),
    channelOptions,
  };
}
