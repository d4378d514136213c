/**
 * Reading a bench server's output: wait for the line that says it is ready,
 * then keep draining, so that a server writing access logs to a pipe never
 * blocks on it.
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
