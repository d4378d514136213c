/**
 * CPU time and memory of the processes a bench runs: servers' CPU from their
 * threads' schedstat, in nanoseconds (`/proc/PID/stat` counts 10 ms ticks,
 * which moved a 1.5 s window's CPU per call by up to 1-2%), a load
 * generator's from bash's `times`, and a process's resident set.
 *
 * @module
 */

/** CPU time so far, in nanoseconds, by thread (`pid/tid`). */
export type CpuReading = Map<string, number>;

/**
 * Reads the time on CPU of every thread of `pids`. Read through `grep`:
 * Deno wants --allow-all to read other processes' /proc files. A process
 * that has exited counts nothing.
 *
 * @example
 * ```ts ignore
 * import { cpuBetween, readCpu } from "./cpu.ts";
 * const before = await readCpu([server.pid]);
 * // ... load ...
 * const seconds = cpuBetween(before, await readCpu([server.pid]));
 * ```
 */
export async function readCpu(pids: number[]): Promise<CpuReading> {
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `grep -H '' ${
        pids.map((pid) => `/proc/${pid}/task/*/schedstat`).join(" ")
      } 2>/dev/null`,
    ],
  }).output();
  const reading: CpuReading = new Map();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const match = line.match(/(\d+)\/task\/(\d+)\/schedstat:(\d+)/);
    if (match) reading.set(`${match[1]}/${match[2]}`, Number(match[3]));
  }
  return reading;
}

/**
 * CPU seconds between two readings. A thread started in between counts
 * whole; one that ended in between loses its time since `before` (the
 * servers' threads live as long as they do).
 *
 * @example
 * ```ts
 * import { cpuBetween } from "./cpu.ts";
 * cpuBetween(new Map([["1/1", 0]]), new Map([["1/1", 2e9]])); // 2
 * ```
 */
export function cpuBetween(before: CpuReading, after: CpuReading): number {
  let ns = 0;
  for (const [thread, time] of after) ns += time - (before.get(thread) ?? 0);
  return ns / 1e9;
}

/**
 * The CPU seconds (user and system) of a bash script's children, from the
 * output of a script that ends with `times` (its last line).
 *
 * @example
 * ```ts
 * import { childrenCpuSeconds } from "./cpu.ts";
 * childrenCpuSeconds("...\n0m0.010s 0m0.020s\n1m2.500s 0m0.500s\n"); // 63
 * ```
 */
export function childrenCpuSeconds(output: string): number {
  const times = output.trim().split("\n").at(-1)!.match(
    /(\d+)m([\d.]+)s (\d+)m([\d.]+)s/,
  );
  if (!times) throw new Error(`no \`times\` line at the end of: ${output}`);
  return Number(times[1]) * 60 + Number(times[2]) +
    Number(times[3]) * 60 + Number(times[4]);
}

/**
 * The resident set of process `pid`, in MB. Read through `cat`, as
 * {@link readCpu} reads through `grep`.
 *
 * @example
 * ```ts ignore
 * import { rssMb } from "./cpu.ts";
 * console.log(`${await rssMb(server.pid)} MB`);
 * ```
 */
export async function rssMb(pid: number): Promise<number> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/status`] })
    .output();
  const status = new TextDecoder().decode(out.stdout);
  return Number(status.match(/VmRSS:\s+(\d+)/)![1]) / 1024;
}
