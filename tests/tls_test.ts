/**
 * TLS and mTLS over real sockets, with certificates made by openssl here.
 */
import assert from "node:assert/strict";
import {
  FeatureDatabase,
  RouteGuideClient,
  startServer,
  Status,
} from "../mod.ts";
import {
  CredentialsError,
  loadClientOptions,
  loadServerTls,
} from "../lib/grpc/credentials.ts";
import {
  type Certificates,
  makeCertificates,
  runCli,
} from "./_prod_helpers.ts";
import { startServerProcess } from "./helpers.ts";

const here = { latitude: 1, longitude: 2 };
const features = new FeatureDatabase([{ name: "Here", location: here }]);

async function withCertificates(
  fn: (certs: Certificates) => Promise<void>,
): Promise<void> {
  const certs = await makeCertificates();
  try {
    await fn(certs);
  } finally {
    await Deno.remove(certs.dir, { recursive: true });
  }
}

async function tlsServer(certs: Certificates, mutual: boolean) {
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    features,
    tls: await loadServerTls({
      cert: certs.serverCert,
      key: certs.serverKey,
      clientCa: mutual ? certs.caCert : undefined,
    }),
  });
  return Object.assign(server, {
    [Symbol.asyncDispose]: () => server.close(0),
  });
}

async function getFeatureVia(
  target: string,
  security: Parameters<typeof loadClientOptions>[0],
): Promise<string> {
  const client = new RouteGuideClient(
    target,
    await loadClientOptions(security),
  );
  try {
    return (await client.getFeature(here, { timeoutMs: 5_000 })).name;
  } finally {
    client.close();
  }
}

Deno.test("a TLS server answers clients that trust its CA, by name and by IP", async () => {
  await withCertificates(async (certs) => {
    await using server = await tlsServer(certs, false);
    assert.equal(
      await getFeatureVia(`localhost:${server.port}`, { ca: certs.caCert }),
      "Here",
    );
    assert.equal(
      await getFeatureVia(`127.0.0.1:${server.port}`, { ca: certs.caCert }),
      "Here",
    );
  });
});

Deno.test("a TLS client refuses a server its CA did not sign", async () => {
  await withCertificates(async (certs) => {
    await using server = await tlsServer(certs, false);
    await assert.rejects(
      getFeatureVia(`127.0.0.1:${server.port}`, { ca: certs.otherCaCert }),
      (error: { code: number }) => error.code === Status.UNAVAILABLE,
    );
  });
});

Deno.test("a plaintext client cannot talk to a TLS server", async () => {
  await withCertificates(async (certs) => {
    await using server = await tlsServer(certs, false);
    await assert.rejects(
      getFeatureVia(`127.0.0.1:${server.port}`, {}),
      (error: { code: number }) => error.code === Status.UNAVAILABLE,
    );
  });
});

Deno.test("an mTLS server answers only clients with a certificate from its client CA", async () => {
  await withCertificates(async (certs) => {
    await using server = await tlsServer(certs, true);
    const target = `127.0.0.1:${server.port}`;
    assert.equal(
      await getFeatureVia(target, {
        ca: certs.caCert,
        cert: certs.clientCert,
        key: certs.clientKey,
      }),
      "Here",
    );
    for (
      const security of [
        { ca: certs.caCert },
        {
          ca: certs.caCert,
          cert: certs.otherClientCert,
          key: certs.otherClientKey,
        },
      ]
    ) {
      await assert.rejects(
        getFeatureVia(target, security),
        (error: { code: number }) => error.code === Status.UNAVAILABLE,
      );
    }
  });
});

Deno.test("TLS files that are missing or not PEM give one clear error", async () => {
  await withCertificates(async (certs) => {
    await assert.rejects(
      loadServerTls({
        cert: `${certs.dir}/nope.crt`,
        key: certs.serverKey,
      }),
      new CredentialsError(
        `cannot read --tls-cert ${certs.dir}/nope.crt: no such file`,
      ),
    );
    await assert.rejects(
      loadServerTls({
        cert: certs.serverCert,
        key: `${certs.dir}/ca.srl`,
      }),
      new CredentialsError(
        `--tls-key ${certs.dir}/ca.srl is not a PEM file`,
      ),
    );
    await assert.rejects(
      loadClientOptions({ cert: certs.clientCert }),
      new CredentialsError("--cert and --key must be given together"),
    );
  });
});

Deno.test("server and client CLIs exit non-zero with one line for a missing TLS file", async () => {
  const server = await runCli("server.ts", [
    "--port",
    "0",
    "--tls-cert",
    "/nonexistent/server.crt",
    "--tls-key",
    "/nonexistent/server.key",
  ]);
  assert.equal(server.code, 2);
  assert.equal(
    server.stderr,
    "routeguide server: cannot read --tls-cert /nonexistent/server.crt: no such file\n",
  );
  const client = await runCli("client.ts", ["--ca", "/nonexistent/ca.crt"]);
  assert.equal(client.code, 2);
  assert.equal(
    client.stderr,
    "routeguide client: cannot read --ca /nonexistent/ca.crt: no such file\n",
  );
});

Deno.test("the server CLI serves mTLS from its flags", async () => {
  await withCertificates(async (certs) => {
    const db = `${certs.dir}/db.json`;
    await Deno.writeTextFile(
      db,
      JSON.stringify([{ name: "Here", location: here }]),
    );
    const server = await startServerProcess([
      "--db",
      db,
      "--tls-cert",
      certs.serverCert,
      "--tls-key",
      certs.serverKey,
      "--tls-client-ca",
      certs.caCert,
    ]);
    try {
      assert.equal(
        await getFeatureVia(server.address, {
          ca: certs.caCert,
          cert: certs.clientCert,
          key: certs.clientKey,
        }),
        "Here",
      );
    } finally {
      const { code, output } = await server.stop();
      assert.equal(code, 0);
      assert.match(output, /tls=mtls/);
    }
  });
});
