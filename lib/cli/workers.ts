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
 * In the primary process: forks `count` workers running this same script
 * with the same arguments, and resolves once all of them listen. Rejects
 * (after stopping the others) when a worker exits before it listens. A
 * worker that dies later is replaced.
 *
 * @example
 * ```ts ignore
 * import { isWorker, startWorkers } from "./workers.ts";
 * if (!isWorker) {
 *   const pool = await startWorkers(2);
 *   console.log(`listening on port ${pool.port}`);
 * } else {
 *   // start the server as usual: listen() is shared through the primary
 * }
 * ```
 */
export function startWorkers(
  count: number,
  log: (line: string) => void = console.error,
): Promise<WorkerPool> {
  if (!cluster.isPrimary) {
    throw new Error("startWorkers must run in the primary process");
  }
  const live = new Set<Worker>();
  const listening = new Set<Worker>();
  let closing = false;
  let port = 0;

  return new Promise<WorkerPool>((resolve, reject) => {
    let started = false;
    const fork = () => {
      const worker = cluster.fork();
      live.add(worker);
      worker.on("listening", (address) => {
        listening.add(worker);
        port = address.port;
        if (!started && listening.size === count) {
          started = true;
          resolve(pool);
        }
      });
      worker.on("exit", () => {
        live.delete(worker);
        const wasListening = listening.delete(worker);
        if (closing) return;
        if (!started) {
          // A worker could not start (its own line says why): stop them all.
          started = true;
          pool.close(0).then(() =>
            reject(new Error(`worker ${worker.id} exited before it listened`))
          );
        } else if (wasListening) {
          log(`worker ${worker.id} exited; starting another`);
          fork();
        } else {
          // Replacing a worker that cannot start would loop for ever.
          log(`worker ${worker.id} exited before it listened; not replaced`);
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
