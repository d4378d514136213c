/**
 * Helpers for the production-server tests: health client, certificates made
 * with openssl at test time, a captured logger, and features to serve.
 *
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import type { Feature, Logger } from "../mod.ts";
import { createLogger } from "../lib/grpc/log.ts";
import { REPO_ROOT } from "./helpers.ts";
import {
  CLIENT_EXTENSIONS,
  makeCa,
  makeDevCertificates,
  makeLeaf,
} from "../tools/certs.ts";

export { WORLD } from "./helpers.ts";

/** A grpc-js client for grpc.health.v1.Health. */
export type HealthClient = grpc.Client & {
  check(
    request: { service: string },
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (
      error: grpc.ServiceError | null,
      reply?: { status: string },
    ) => void,
  ): grpc.ClientUnaryCall;
  watch(
    request: { service: string },
  ): grpc.ClientReadableStream<{ status: string }>;
};

const HealthStub = grpc.makeGenericClientConstructor(healthService, "Health");

/** A health client for `address`. */
export function healthClient(
  address: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
): HealthClient {
  return new HealthStub(
    address,
    credentials,
    options,
  ) as unknown as HealthClient;
}

/**
 * Health/Check as a promise of the status name; fails with DEADLINE_EXCEEDED
 * after `deadlineMs` rather than hang a test.
 */
export function checkHealth(
  client: HealthClient,
  service: string,
  deadlineMs = 5_000,
): Promise<string> {
  return new Promise((resolve, reject) =>
    client.check(
      { service },
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (error, reply) => error ? reject(error) : resolve(reply!.status),
    )
  );
}

/** A logger that keeps JSON lines, parsed. */
export function capturingLogger(): {
  logger: Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    format: "json",
    level: "debug",
    write: (line) => lines.push(JSON.parse(line)),
  });
  return { logger, lines };
}

/** `n` named features on a grid, distinct locations, in a fixed order. */
export function gridFeatures(n: number): Feature[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `feature ${i}`,
    location: {
      latitude: (i % 1000) * 100,
      longitude: Math.floor(i / 1000) * 100,
    },
  }));
}

/** PEM files made for one test run. */
export interface Certificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second CA that signed nothing the server trusts. */
  otherCaCert: string;
  otherClientCert: string;
  otherClientKey: string;
}

/** `deno task certs`'s CA, server and client certificates, and a stranger's. */
export async function makeCertificates(): Promise<Certificates> {
  const dir = await Deno.makeTempDir({ prefix: "routeguide-certs-" });
  await makeDevCertificates(dir, 1);
  await makeCa(dir, "other-ca", 1);
  await makeLeaf(dir, "other-client", "other-ca", CLIENT_EXTENSIONS, 1);
  return {
    dir,
    caCert: `${dir}/ca.crt`,
    serverCert: `${dir}/server.crt`,
    serverKey: `${dir}/server.key`,
    clientCert: `${dir}/client.crt`,
    clientKey: `${dir}/client.key`,
    otherCaCert: `${dir}/other-ca.crt`,
    otherClientCert: `${dir}/other-client.crt`,
    otherClientKey: `${dir}/other-client.key`,
  };
}

/**
 * Runs a CLI (`server.ts`, `client.ts`) from the repo root to completion,
 * no stdin: exit code and output, without Deno's own permissions warning.
 */
export async function runCli(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-P", script, ...args],
    cwd: REPO_ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) =>
    new TextDecoder().decode(bytes).replace(
      /.*Permissions in the config file is an experimental feature.*\n/g,
      "",
    );
  return { code, stdout: text(stdout), stderr: text(stderr) };
}
