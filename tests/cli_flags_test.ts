/**
 * Help never lies: each entry point, run as a user runs it, accepts every
 * flag of its table, lists each one in `--help` with its default, and
 * mentions no flag it does not accept.
 */
import assert from "node:assert/strict";
import type { FlagTable } from "../lib/cli/flags.ts";
import { CLIENT_FLAGS } from "../lib/cli/client_flags.ts";
import { SERVER_FLAGS } from "../lib/cli/server_flags.ts";
import { runCli } from "./_prod_helpers.ts";

/** Every `--flag` that `help` mentions. */
function mentioned(help: string): Set<string> {
  return new Set([...help.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]));
}

/**
 * Asserts that `script` accepts every flag of `table` (parseArgs refuses a
 * flag it does not know before --help is looked at, so all of them given
 * at once with --help still print `help`) and refuses `unknown`.
 */
async function assertAccepted(
  script: string,
  table: FlagTable,
  help: string,
  unknown: string,
): Promise<void> {
  const every = Object.entries(table).flatMap(([name, flag]) =>
    flag.kind.arg === undefined ? [`--${name}`] : [`--${name}`, "x"]
  );
  const all = await runCli(script, [...every, "--help"]);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout, help);
  const refused = await runCli(script, [unknown, "1", "--help"]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, new RegExp(`Unknown option '${unknown}'`));
}

/** Asserts that `help` lists each flag on a line of its own, with its default. */
function assertListed(help: string, table: FlagTable, names: string[]): void {
  for (const name of names) {
    const flag = table[name];
    const short = flag.short === undefined ? "" : `-${flag.short}, `;
    const line = new RegExp(
      `^  ${short}--${name}(?: ${flag.kind.arg})?(?: |$)`,
      "m",
    );
    assert.match(help, line, `--${name} is not listed`);
    if (flag.default !== undefined && flag.kind.arg !== undefined) {
      const shown = flag.kind.show?.(flag.default) ?? String(flag.default);
      const entry = help.slice(help.search(line)).split(/\n {2}-/)[0];
      assert.ok(
        entry.replace(/\s+/g, " ").includes(`(default ${shown}`),
        `--${name}'s help lacks its default ${shown}:\n${entry}`,
      );
    }
  }
}

Deno.test("server.ts accepts every flag of its table, and --help lists exactly those", async () => {
  const names = Object.keys(SERVER_FLAGS);
  const help = await runCli("server.ts", ["--help"]);
  assert.equal(help.code, 0, help.stderr);
  assertListed(help.stdout, SERVER_FLAGS, names);
  assert.deepEqual([...mentioned(help.stdout)].sort(), [...names].sort());
  await assertAccepted("server.ts", SERVER_FLAGS, help.stdout, "--max-notes");
});

Deno.test("client.ts accepts every flag of its table; --help and each command's list exactly those", async () => {
  const names = Object.keys(CLIENT_FLAGS);
  const commands = ["feature", "list", "record", "chat"];
  const [global, ...perCommand] = await Promise.all(
    [[], ...commands.map((c) => [c])].map((command) =>
      runCli("client.ts", [...command, "--help"])
    ),
  );
  assert.equal(global.code, 0, global.stderr);
  const table: FlagTable = CLIENT_FLAGS;
  const ofCommand = (command?: string) =>
    names.filter((name) => table[name].command === command);
  assertListed(global.stdout, CLIENT_FLAGS, ofCommand(undefined));
  const seen = mentioned(global.stdout);
  for (const [i, run] of perCommand.entries()) {
    assert.equal(run.code, 0, run.stderr);
    assertListed(run.stdout, CLIENT_FLAGS, ofCommand(commands[i]));
    for (const name of mentioned(run.stdout)) seen.add(name);
  }
  assert.deepEqual([...seen].sort(), [...names].sort());
  await assertAccepted("client.ts", CLIENT_FLAGS, global.stdout, "--point");
});
