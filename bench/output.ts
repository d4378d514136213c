/**
 * Reading a bench server's output: wait for the line that says it is ready,
 * from a pipe (then keep draining it, so that a server writing access logs
 * there never blocks) or from a file.
 *
 * @module
 */

/**
 * Reads `stream` until its text matches `pattern` and returns the match;
 * the rest of the stream is read and dropped in the background. Throws if
 * the stream ends first (the process exited), with what it printed.
 *
 * @example
 * ```ts ignore
 * import { waitFor } from "./output.ts";
 * const [, port] = await waitFor(child.stdout, /listening on (?:[\d.]+:)?(\d+)/);
 * ```
 */
export async function waitFor(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
): Promise<RegExpMatchArray> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  for (let text = "";;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`exited before printing ${pattern}: ${text}`);
    text += value;
    const match = text.match(pattern);
    if (match) {
      (async () => {
        while (!(await reader.read()).done);
      })();
      return match;
    }
  }
}

/**
 * Waits until the file at `path`, where a process writes its output, holds
 * text that matches `pattern`, and returns the match. Throws if `exited`
 * settles first, with what the file held.
 *
 * @example
 * ```ts ignore
 * import { waitForFile } from "./output.ts";
 * const [, port] = await waitForFile(log, /listening on (?:[\d.]+:)?(\d+)/, child.status);
 * ```
 */
export async function waitForFile(
  path: string,
  pattern: RegExp,
  exited: Promise<unknown>,
): Promise<RegExpMatchArray> {
  let done = false;
  exited.finally(() => done = true);
  for (;;) {
    const text = await Deno.readTextFile(path).catch(() => "");
    const match = text.match(pattern);
    if (match) return match;
    if (done) throw new Error(`exited before printing ${pattern}: ${text}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
