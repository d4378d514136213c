/**
 * Bearer-token auth: calls without the token fail with UNAUTHENTICATED,
 * health stays open, and the token shows up in no error or log line.
 */
import assert from "node:assert/strict";
import {
  FeatureDatabase,
  RouteGuideClient,
  type RouteGuideError,
  startServer,
  Status,
} from "../mod.ts";
import { loadToken, TokenError } from "../lib/grpc/auth.ts";
import {
  capturingLogger,
  checkHealth,
  healthClient,
  runCli,
  WORLD,
} from "./_prod_helpers.ts";
import { startServerProcess } from "./helpers.ts";

const TOKEN = "s3cret-Token_42";
const here = { latitude: 1, longitude: 2 };

async function authServer() {
  const { logger, lines } = capturingLogger();
  const server = await startServer({
    host: "127.0.0.1",
    port: 0,
    features: new FeatureDatabase([{ name: "Here", location: here }]),
    token: TOKEN,
    logger,
  });
  return Object.assign(server, {
    lines,
    client(token?: string) {
      return new RouteGuideClient(server.address, { token });
    },
    [Symbol.asyncDispose]: () => server.close(0),
  });
}

async function unauthenticated(
  promise: Promise<unknown>,
): Promise<RouteGuideError> {
  let caught: RouteGuideError | undefined;
  await assert.rejects(promise, (error: RouteGuideError) => {
    caught = error;
    return error.code === Status.UNAUTHENTICATED;
  });
  assert.ok(!caught!.message.includes(TOKEN));
  return caught!;
}

Deno.test("with a token set, every RouteGuide call needs it", async () => {
  await using server = await authServer();
  for (const token of [undefined, "wrong", `${TOKEN}x`, TOKEN.slice(0, -1)]) {
    const client = server.client(token);
    try {
      await unauthenticated(client.getFeature(here));
      await unauthenticated(Array.fromAsync(client.listFeatures(WORLD)));
      await unauthenticated(client.recordRoute([here]));
      await unauthenticated(
        Array.fromAsync(client.routeChat([{ location: here, message: "hi" }])),
      );
    } finally {
      client.close();
    }
  }
  const client = server.client(TOKEN);
  try {
    assert.equal((await client.getFeature(here)).name, "Here");
    assert.equal((await Array.fromAsync(client.listFeatures(WORLD))).length, 1);
    // The refused RouteChat calls' notes never reached the note board.
    assert.deepEqual(
      await Array.fromAsync(
        client.routeChat([{ location: here, message: "first" }]),
      ),
      [],
    );
  } finally {
    client.close();
  }
});

Deno.test("the scheme is case-insensitive and a raw token is refused", async () => {
  await using server = await authServer();
  const client = server.client();
  try {
    const { name } = await client.getFeature(here, {
      metadata: { authorization: `bearer ${TOKEN}` },
    });
    assert.equal(name, "Here");
    await unauthenticated(
      client.getFeature(here, { metadata: { authorization: TOKEN } }),
    );
  } finally {
    client.close();
  }
});

Deno.test("health checks need no token", async () => {
  await using server = await authServer();
  const health = healthClient(server.address);
  try {
    assert.equal(await checkHealth(health, ""), "SERVING");
  } finally {
    health.close();
  }
});

Deno.test("the token appears in no log line", async () => {
  await using server = await authServer();
  const client = server.client("wrong-token");
  const good = server.client(TOKEN);
  try {
    await unauthenticated(client.getFeature(here));
    await good.getFeature(here);
  } finally {
    client.close();
    good.close();
  }
  const calls = server.lines.filter((line) => line.msg === "call");
  assert.deepEqual(calls.map((line) => line.code), ["UNAUTHENTICATED", "OK"]);
  for (const line of server.lines) {
    assert.ok(!JSON.stringify(line).includes(TOKEN));
    assert.ok(!JSON.stringify(line).includes("wrong-token"));
  }
});

Deno.test("the token comes from a file or ROUTEGUIDE_TOKEN, checked, never echoed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/token`, `${TOKEN}\n`);
    assert.equal(await loadToken(`${dir}/token`, new Map()), TOKEN);
    assert.equal(
      await loadToken(undefined, new Map([["ROUTEGUIDE_TOKEN", TOKEN]])),
      TOKEN,
    );
    assert.equal(await loadToken(undefined, new Map()), undefined);
    await Deno.writeTextFile(`${dir}/empty`, "\n");
    await assert.rejects(
      loadToken(`${dir}/empty`, new Map()),
      new TokenError(`token file ${dir}/empty is empty`),
    );
    await Deno.writeTextFile(`${dir}/spaced`, "two words");
    await assert.rejects(
      loadToken(`${dir}/spaced`, new Map()),
      new TokenError(
        `token file ${dir}/spaced must be printable ASCII without spaces`,
      ),
    );
    await assert.rejects(
      loadToken(`${dir}/missing`, new Map()),
      new TokenError(`cannot read token file ${dir}/missing: NotFound`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the server CLI takes the token from ROUTEGUIDE_TOKEN or --token-file", async () => {
  const dir = await Deno.makeTempDir();
  const db = `${dir}/db.json`;
  await Deno.writeTextFile(
    db,
    JSON.stringify([{ name: "Here", location: here }]),
  );
  await Deno.writeTextFile(`${dir}/token`, `${TOKEN}\n`);
  try {
    for (
      const [args, env] of [
        [["--db", db], { ROUTEGUIDE_TOKEN: TOKEN }],
        [["--db", db, "--token-file", `${dir}/token`], {}],
      ] as const
    ) {
      const server = await startServerProcess([...args], env);
      const client = new RouteGuideClient(server.address);
      try {
        await unauthenticated(client.getFeature(here));
        assert.equal(
          (await client.getFeature(here, {
            metadata: { authorization: `Bearer ${TOKEN}` },
          })).name,
          "Here",
        );
      } finally {
        client.close();
        await server.stop();
      }
      const { output } = await server.stop();
      assert.match(output, /auth=bearer/);
      assert.ok(!output.includes(TOKEN));
    }
    const empty = await runCli("server.ts", ["--db", db], {
      ROUTEGUIDE_TOKEN: "",
    });
    assert.equal(empty.code, 2);
    assert.equal(
      empty.stderr,
      "routeguide server: $ROUTEGUIDE_TOKEN is empty\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
