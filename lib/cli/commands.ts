/**
 * What each command of the command-line client does: the RouteGuide call,
 * its messages printed in the tutorial's format or as JSON lines, and any
 * failure turned into one line and an exit status.
 *
 * @module
 */
import type { CallOptions, RouteGuideClient } from "../grpc/client.ts";
import type { ClientRequest } from "./client_flags.ts";
import {
  formatFeature,
  formatListedFeature,
  formatReceivedNote,
  formatSentNote,
  formatSummary,
  formatVisiting,
  randomRoute,
  runDemo,
} from "./demo.ts";
import { UsageError } from "./flags.ts";
import { parseNotes, parsePoint, parsePointsFile, readLines } from "./input.ts";
import type { Feature, Point, Rectangle, RouteNote } from "../domain/types.ts";

/** How a command prints and calls. */
export interface CommandOptions {
  /** Receives each line of output. */
  print: (line: string) => void;
  /**
   * Print each message from the server as one JSON object (E7 coordinates)
   * instead of the tutorial's text; lines about what is sent are left out.
   */
  json?: boolean;
  /** Options for each call, such as a deadline. */
  call?: CallOptions;
}

/**
 * GetFeature: prints the feature at `point`.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient } from "../grpc/client.ts";
 * import { featureCommand } from "./commands.ts";
 * const client = new RouteGuideClient("localhost:50051");
 * await featureCommand(client, { latitude: 409146138, longitude: -746188906 }, { print: console.log });
 * ```
 */
export async function featureCommand(
  client: RouteGuideClient,
  point: Point,
  options: CommandOptions,
): Promise<void> {
  const feature = await client.getFeature(point, options.call);
  options.print(
    options.json ? JSON.stringify(feature) : formatFeature(feature),
  );
}

/**
 * ListFeatures: prints every feature in the rectangle as it arrives.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient } from "../grpc/client.ts";
 * import { DEMO_RECTANGLE } from "./demo.ts";
 * import { listCommand } from "./commands.ts";
 * const client = new RouteGuideClient("localhost:50051");
 * await listCommand(client, DEMO_RECTANGLE, { print: console.log });
 * ```
 */
export async function listCommand(
  client: RouteGuideClient,
  rectangle: Rectangle,
  options: CommandOptions,
): Promise<void> {
  for await (const feature of client.listFeatures(rectangle, options.call)) {
    options.print(
      options.json ? JSON.stringify(feature) : formatListedFeature(feature),
    );
  }
}

/**
 * Lists the features in `area` and returns a route of `count` of them
 * picked at random (lazily), for a RecordRoute over places the server knows. Throws {@link UsageError} when
 * the area holds none.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient } from "../grpc/client.ts";
 * import { randomListedRoute } from "./commands.ts";
 * const client = new RouteGuideClient("localhost:50051");
 * import { DEMO_RECTANGLE } from "./demo.ts";
 * const route = await randomListedRoute(client, 10, DEMO_RECTANGLE);
 * ```
 */
export async function randomListedRoute(
  client: RouteGuideClient,
  count: number,
  area: Rectangle,
  call: CallOptions = {},
): Promise<Iterable<Point>> {
  const listed: Feature[] = await Array.fromAsync(
    client.listFeatures(area, call),
  );
  if (listed.length === 0) {
    throw new UsageError(
      "the server lists no features in the area to visit (see --area, --file)",
      false,
    );
  }
  // Picked as they are sent: a long route is never held in memory.
  return randomRoute(listed, count);
}

/**
 * RecordRoute: sends `points` (printing `Visiting point ...` for each in
 * text mode) and prints the server's summary.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient } from "../grpc/client.ts";
 * import { recordCommand } from "./commands.ts";
 * const client = new RouteGuideClient("localhost:50051");
 * await recordCommand(client, [{ latitude: 1, longitude: 2 }], { print: console.log });
 * ```
 */
export async function recordCommand(
  client: RouteGuideClient,
  points: Iterable<Point>,
  options: CommandOptions,
): Promise<void> {
  function* visit(): Generator<Point, void, undefined> {
    for (const point of points) {
      if (!options.json) options.print(formatVisiting(point));
      yield point;
    }
  }
  const summary = await client.recordRoute(visit(), options.call);
  if (options.json) options.print(JSON.stringify(summary));
  else for (const line of formatSummary(summary)) options.print(line);
}

/**
 * RouteChat: sends each note as it comes (printing `Sending RouteNote ...`
 * in text mode), prints every note the server returns, and half-closes
 * once `notes` ends. An error from `notes` cancels the call and is thrown.
 * Pass an array to have every note checked before the call starts.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient } from "../grpc/client.ts";
 * import { chatCommand } from "./commands.ts";
 * import { parseNotes, readLines } from "./input.ts";
 * const client = new RouteGuideClient("localhost:50051");
 * await chatCommand(client, parseNotes(readLines(Deno.stdin.readable)), { print: console.log });
 * ```
 */
export async function chatCommand(
  client: RouteGuideClient,
  notes: AsyncIterable<RouteNote> | Iterable<RouteNote>,
  options: CommandOptions,
): Promise<void> {
  async function* send(): AsyncGenerator<RouteNote, void, undefined> {
    for await (const note of notes) {
      if (!options.json) options.print(formatSentNote(note));
      yield note;
    }
  }
  for await (const note of client.routeChat(send(), options.call)) {
    options.print(
      options.json ? JSON.stringify(note) : formatReceivedNote(note),
    );
  }
}

/**
 * Checks everything the user typed for `request` (coordinates, the points
 * file) and returns the call to run, so that a bad argument fails before
 * any connection. A {@link UsageError} is named with its command.
 *
 * @example
 * ```ts ignore
 * import { RouteGuideClient } from "../grpc/client.ts";
 * import { parseClientArgs } from "./client_flags.ts";
 * import { planCommand } from "./commands.ts";
 * const request = parseClientArgs(["feature", "40.5", "-74.2"]);
 * if (!("help" in request)) {
 *   const run = await planCommand(request, { print: console.log });
 *   await run(new RouteGuideClient(request.values.addr));
 * }
 * ```
 */
export async function planCommand(
  request: ClientRequest,
  options: CommandOptions,
): Promise<(client: RouteGuideClient) => Promise<void>> {
  const { command, args, values } = request;
  try {
    switch (command) {
      case undefined:
        return (c) => runDemo(c, options.print, { call: options.call });
      case "feature": {
        const point = parsePoint(args[0], args[1]);
        return (c) => featureCommand(c, point, options);
      }
      case "list": {
        const rectangle = {
          lo: parsePoint(args[0], args[1]),
          hi: parsePoint(args[2], args[3]),
        };
        return (c) => listCommand(c, rectangle, options);
      }
      case "record": {
        const file = values.file;
        if (file === undefined) {
          return async (c) =>
            recordCommand(
              c,
              await randomListedRoute(
                c,
                values.points,
                values.area,
                options.call,
              ),
              options,
            );
        }
        let text;
        try {
          text = await Deno.readTextFile(file);
        } catch (error) {
          throw new UsageError(
            `${file}: cannot read: ${(error as Error).message}`,
          );
        }
        const points = parsePointsFile(text, file);
        return (c) => recordCommand(c, points, options);
      }
      case "chat": {
        const notes = parseNotes(readLines(Deno.stdin.readable));
        if (Deno.stdin.isTerminal()) {
          // Typed notes go out line by line, as the user writes them.
          return (c) => chatCommand(c, notes, options);
        }
        // Piped input is read and checked whole first: a bad line fails
        // before any note is sent (or printed as sent), like other input.
        const all = await Array.fromAsync(notes);
        return (c) => chatCommand(c, all, options);
      }
    }
  } catch (error) {
    if (error instanceof UsageError && command !== undefined) {
      throw new UsageError(`${command}: ${error.message}`);
    }
    throw error;
  }
}
