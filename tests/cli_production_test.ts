/**
 * The CLIs' production flags: every server flag is in --help, bad values
 * are one line and exit 2, and the client CLI reaches a TLS server with a
 * token.
 */
import assert from "node:assert/strict";
import { makeCertificates, runCli } from "./_prod_helpers.ts";
import { startServerProcess } from "./helpers.ts";

const PRODUCTION_FLAGS = [
  "--tls-cert",
  "--tls-key",
  "--tls-client-ca",
  "--token-file",
  "--max-receive-message-bytes",
  "--max-concurrent-streams",
  "--max-concurrent-chats",
  "--keepalive-time",
  "--keepalive-timeout",
  "--max-connection-idle",
  "--max-connection-age",
  "--max-connection-age-grace",
  "--log-format",
  "--log-level",
];

Deno.test("server --help and docs/operations.md list every production flag", async () => {
  const { code, stdout } = await runCli("server.ts", ["--help"]);
  assert.equal(code, 0);
  const docs = await Deno.readTextFile("docs/operations.md");
  for (const flag of PRODUCTION_FLAGS) {
    assert.ok(stdout.includes(flag), `${flag} missing from --help`);
    assert.ok(docs.includes(flag), `${flag} missing from docs/operations.md`);
  }
});

Deno.test("bad production flag values are one line and exit 2", async () => {
  const cases: [string[], string][] = [
    [
      ["--keepalive-time=-1"],
      "--keepalive-time must be a number of seconds >= 0, got '-1'",
    ],
    [
      ["--max-concurrent-chats=0"],
      "--max-concurrent-chats must be an integer >= 1, got '0'",
    ],
    [
      ["--log-level", "loud"],
      "--log-level must be one of debug, info, warn, error, got 'loud'",
    ],
    [
      ["--tls-key", "server.key"],
      "--tls-cert and --tls-key must be given together",
    ],
    [
      ["--tls-client-ca", "ca.crt"],
      "--tls-client-ca needs --tls-cert and --tls-key",
    ],
  ];
  for (const [args, message] of cases) {
    const { code, stderr } = await runCli("server.ts", args);
    assert.equal(code, 2, args.join(" "));
    assert.equal(stderr, `routeguide server: ${message}\n`);
  }
});

Deno.test("the client CLI runs its demo over TLS with a token", async () => {
  const certs = await makeCertificates();
  const db = `${certs.dir}/db.json`;
  await Deno.writeTextFile(
    db,
    JSON.stringify([
      {
        name: "Somewhere in New Jersey",
        location: { latitude: 409146138, longitude: -746188906 },
      },
      {
        name: "Somewhere in New York",
        location: { latitude: 410248224, longitude: -747127767 },
      },
    ]),
  );
  await Deno.writeTextFile(`${certs.dir}/token`, "cli-token-123\n");
  const server = await startServerProcess([
    "--db",
    db,
    "--tls-cert",
    certs.serverCert,
    "--tls-key",
    certs.serverKey,
    "--token-file",
    `${certs.dir}/token`,
  ]);
  try {
    const ok = await runCli("client.ts", [
      "--addr",
      server.address,
      "--ca",
      certs.caCert,
      "--token-file",
      `${certs.dir}/token`,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Feature called 'Somewhere in New Jersey'/);
    assert.match(ok.stdout, /Finished trip with \d+ points/);
    const noToken = await runCli("client.ts", [
      "--addr",
      server.address,
      "--ca",
      certs.caCert,
    ]);
    assert.notEqual(noToken.code, 0);
  } finally {
    await server.stop();
    await Deno.remove(certs.dir, { recursive: true });
  }
});
