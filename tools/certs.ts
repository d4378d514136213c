/**
 * `deno task certs [DIR]`: makes a development CA, a server certificate for
 * localhost, 127.0.0.1 and ::1, and a client certificate (for mTLS) with
 * openssl, into DIR (default ./certs, relative to where the user stands),
 * and prints the commands that use them. The tests make theirs here too.
 *
 * @module
 */
import { join, resolve } from "node:path";

async function openssl(dir: string, ...args: string[]): Promise<void> {
  let result;
  try {
    result = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error("openssl is not installed (it makes the certificates)");
  }
  if (!result.success) {
    const why = new TextDecoder().decode(result.stderr).trim().split("\n")[0];
    throw new Error(`openssl ${args[0]} failed: ${why}`);
  }
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/** A self-signed CA: `name.crt` and `name.key` in `dir`. */
export async function makeCa(
  dir: string,
  name: string,
  days: number,
): Promise<void> {
  await openssl(
    dir,
    ...["req", "-x509", ...EC_KEY, "-nodes", "-days", `${days}`],
    ...[
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-subj",
      `/CN=${name}`,
    ],
  );
}

/**
 * A certificate signed by CA `ca`, with X.509 v3 `extensions` (an extfile:
 * Deno's TLS refuses v1 certificates): `name.crt` and `name.key` in `dir`.
 */
export async function makeLeaf(
  dir: string,
  name: string,
  ca: string,
  extensions: string,
  days: number,
): Promise<void> {
  await Deno.writeTextFile(join(dir, `${name}.ext`), extensions);
  await openssl(
    dir,
    ...["req", ...EC_KEY, "-nodes", "-keyout", `${name}.key`],
    ...["-out", `${name}.csr`, "-subj", `/CN=${name}`],
  );
  await openssl(
    dir,
    ...["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`],
    ...["-CAkey", `${ca}.key`, "-CAcreateserial", "-days", `${days}`],
    ...["-out", `${name}.crt`, "-extfile", `${name}.ext`],
  );
  await Deno.remove(join(dir, `${name}.csr`));
  await Deno.remove(join(dir, `${name}.ext`));
}

/** The names a local server is dialled by. */
export const SERVER_EXTENSIONS =
  "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n";
/** A client certificate for mTLS. */
export const CLIENT_EXTENSIONS = "extendedKeyUsage=clientAuth\n";

/** `ca`, `server` and `client` certificates and keys in `dir`. */
export async function makeDevCertificates(
  dir: string,
  days: number,
): Promise<void> {
  await makeCa(dir, "ca", days);
  await makeLeaf(dir, "server", "ca", SERVER_EXTENSIONS, days);
  await makeLeaf(dir, "client", "ca", CLIENT_EXTENSIONS, days);
}

const DAYS = 365;
const FILES = ["ca.crt", "ca.key", "server.crt", "server.key", "client.crt"];

async function main(args: string[]): Promise<number> {
  if (args.length > 1 || args[0]?.startsWith("-")) {
    console.error(
      "usage: deno task certs [DIR]  (makes DIR, default ./certs, with a development CA, server and client certificates)",
    );
    return 2;
  }
  const named = args[0] ?? "certs";
  // `deno task` runs in the repository root; INIT_CWD is where the user is.
  const dir = resolve(Deno.env.get("INIT_CWD") ?? Deno.cwd(), named);
  await Deno.mkdir(dir, { recursive: true });
  for (const file of FILES) {
    try {
      await Deno.lstat(join(dir, file));
    } catch {
      continue;
    }
    console.error(
      `routeguide certs: ${named} already holds ${file}; remove it or name another directory`,
    );
    return 2;
  }
  try {
    await makeDevCertificates(dir, DAYS);
  } catch (error) {
    console.error(`routeguide certs: ${(error as Error).message}`);
    return 1;
  }
  const at = (file: string) => join(named, file);
  console.log(
    `Made a development CA, a server certificate (localhost, 127.0.0.1, ::1) and a client certificate in ${named}, valid ${DAYS} days.
TLS:
  deno task serve --tls-cert ${at("server.crt")} --tls-key ${at("server.key")}
  deno task client --ca ${at("ca.crt")}
mTLS (clients need a certificate from this CA):
  deno task serve --tls-cert ${at("server.crt")} --tls-key ${
      at("server.key")
    } --tls-client-ca ${at("ca.crt")}
  deno task client --ca ${at("ca.crt")} --cert ${at("client.crt")} --key ${
      at("client.key")
    }`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
