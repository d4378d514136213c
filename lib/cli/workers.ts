/**
 * Several server processes on one port with `node:cluster`: the primary
 * forks workers that run the same script; each worker's listen is handed to
 * the primary, which accepts connections and passes them to the workers in
 * turn. One Deno process uses one core; this uses them all.
 *
 * @module
 */
import cluster, { type Worker } from "node:cluster";

/**
 * Forked workers serving one port.
 *
 * @example
 * ```ts
 * import type { WorkerPool } from "./workers.ts";
 * // What a primary does at SIGTERM: give the workers 5 s to finish.
 * const stop = (pool: WorkerPool) => pool.close(5_000);
 * ```
 */
export interface WorkerPool {
  /** The port the workers share (the one bound when asked for port 0). */
  readonly port: number;
  /**
   * Sends SIGTERM to every worker (each shuts down gracefully) and resolves
   * once all have exited; workers still running after `timeoutMs` are killed.
   */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Whether this process is a worker forked by {@link startWorkers}.
 *
 * @example
 * ```ts
 * import { isWorker } from "./workers.ts";
 * if (!isWorker) console.log("primary process");
 * ```
 */
export const isWorker: boolean = cluster.isWorker;

/**
 * This worker's number (1, 2, ...; a replacement gets the next one), or
 * undefined in the primary: its log lines carry it.
 *
 * @example
 * ```ts
 * import { workerId } from "./workers.ts";
 * const fields = workerId === undefined ? undefined : { worker: workerId };
 * ```
 */
export const workerId: number | undefined = cluster.worker?.id;

/** What a worker sends the primary once it is ready. */
const READY = "routeguide:ready";

/**
 * In a worker: tells the primary that this worker is ready, listening with
 * its signal handlers in place (a signal then stops it gracefully).
 * {@link startWorkers} resolves once every worker has said so.
 *
 * @example
 * ```ts
 * import { isWorker, workerReady } from "./workers.ts";
 * if (isWorker) workerReady();
 * ```
 */
export function workerReady(): void {
  cluster.worker?.send(READY);
}

/**
 * In the primary process: forks `count` workers running this same script
 * with the same arguments, and resolves once all of them are ready (see
 * {@link workerReady}). Rejects (after stopping the others) when a worker
 * exits before it is ready. A worker that dies later is replaced; `log`
 * says so (at warn), and when the replacement is ready (at info).
 *
 * @example
 * ```ts ignore
 * import { isWorker, startWorkers } from "./workers.ts";
 * if (!isWorker) {
 *   const pool = await startWorkers(2);
 *   console.log(`listening on port ${pool.port}`);
 * } else {
 *   // start the server as usual (listen() is shared through the
 *   // primary), then call workerReady()
 * }
 * ```
 */
export function startWorkers(
  count: number,
  log: (level: "info" | "warn", line: string) => void = (_, line) =>
    console.error(line),
): Promise<WorkerPool> {
  if (!cluster.isPrimary) {
    throw new Error("startWorkers must run in the primary process");
  }
  const live = new Set<Worker>();
  const ready = new Set<Worker>();
  let closing = false;
  let port = 0;

  return new Promise<WorkerPool>((resolve, reject) => {
    let started = false;
    const fork = (replacing?: number) => {
      const worker = cluster.fork();
      live.add(worker);
      worker.on("listening", (address) => port = address.port);
      worker.on("message", (message) => {
        if (message !== READY) return;
        ready.add(worker);
        if (replacing !== undefined) {
          log(
            "info",
            `worker ${worker.id} ready, in place of worker ${replacing}`,
          );
        } else if (!started && ready.size === count) {
          started = true;
          resolve(pool);
        }
      });
      worker.on("exit", (code: number | null, signal: string | null) => {
        live.delete(worker);
        const wasReady = ready.delete(worker);
        if (closing) return;
        const exited = `worker ${worker.id} exited (${
          signal ?? `status ${code}`
        })`;
        if (!started) {
          // A worker could not start (its own line says why): stop them all.
          started = true;
          pool.close(0).then(() =>
            reject(new Error(`${exited} before it was ready`))
          );
        } else if (wasReady) {
          log("warn", `${exited}; starting another`);
          fork(worker.id);
        } else {
          // Replacing a worker that cannot start would loop for ever.
          log("warn", `${exited} before it was ready; not replaced`);
        }
      });
    };
    const pool: WorkerPool = {
      get port() {
        return port;
      },
      async close(timeoutMs) {
        closing = true;
        const exits = [...live].map((worker) =>
          new Promise<void>((done) => {
            if (worker.isDead()) return done();
            worker.once("exit", () => done());
            // Not worker.process.kill(): on Deno that drops the IPC channel
            // first, and the worker then dies closing its listener.
            try {
              Deno.kill(worker.process.pid!, "SIGTERM");
            } catch {
              // Already gone; its exit event is on the way.
            }
          })
        );
        const timer = setTimeout(() => {
          for (const worker of live) worker.process.kill("SIGKILL");
        }, timeoutMs);
        await Promise.all(exits);
        clearTimeout(timer);
      },
    };
    for (let i = 0; i < count; i++) fork();
  });
}
