/**
 * A call whose client goes away or whose deadline passes stops its work:
 * for each streaming RPC, the handler stops (its iteration ends), nothing
 * is written after the cancellation, and no listener is left on the call.
 * Deno's sanitizers catch leaked timers and resources.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  type CallContext,
  createRouteGuide,
  FeatureDatabase,
  MemoryNoteBoard,
  type Point,
  RouteGuideClient,
  type RouteGuideHandlers,
  type RouteNote,
  Status,
} from "../mod.ts";
import { routeGuideServiceDefinition } from "../lib/grpc/proto.ts";
import { toGrpcImplementation } from "../lib/grpc/grpc_adapter.ts";
import { bindLoopback } from "./helpers.ts";
import { gridFeatures, WORLD } from "./_prod_helpers.ts";

/** What one server-side call did, seen from inside the handler. */
interface Observed {
  /** Items the handler produced (ListFeatures, RouteChat) or read (RecordRoute). */
  items: number;
  /** `items` when the call's signal aborted. */
  itemsAtAbort?: number;
  /** Resolves when the handler's work has ended, however it ended. */
  ended: Promise<void>;
  /** Resolves when the call's signal aborts. */
  aborted: Promise<void>;
  /** Resolves once `items` reaches `n`. */
  read(n: number): Promise<void>;
  /** Listeners left on the grpc-js call, if still alive, once the handler ended. */
  listenersLeft?: number;
}

/**
 * Wraps the real handlers to count what each call does and to note when
 * its work ends; wraps the grpc-js implementation to count listeners left
 * on the call afterwards.
 */
function instrumented(handlers: RouteGuideHandlers) {
  const calls: Observed[] = [];
  const started = Promise.withResolvers<Observed>();
  function observe(context: CallContext): [Observed, () => void] {
    const { promise, resolve } = Promise.withResolvers<void>();
    const aborted = Promise.withResolvers<void>();
    const waiting: { n: number; resolve: () => void }[] = [];
    let items = 0;
    const observed: Observed = {
      get items() {
        return items;
      },
      set items(value) {
        items = value;
        for (const waiter of waiting) if (items >= waiter.n) waiter.resolve();
      },
      ended: promise,
      aborted: aborted.promise,
      read(n) {
        if (items >= n) return Promise.resolve();
        const { promise, resolve } = Promise.withResolvers<void>();
        waiting.push({ n, resolve });
        return promise;
      },
    };
    context.signal.addEventListener("abort", () => {
      observed.itemsAtAbort = observed.items;
      aborted.resolve();
    }, { once: true });
    calls.push(observed);
    started.resolve(observed);
    return [observed, resolve];
  }
  const wrapped: RouteGuideHandlers = {
    ...handlers,
    *listFeatures(rectangle, context) {
      const [observed, end] = observe(context);
      try {
        for (
          const feature of handlers.listFeatures(
            rectangle,
            context,
          ) as Iterable<never>
        ) {
          observed.items++;
          yield feature;
        }
      } finally {
        end();
      }
    },
    recordRoute(context) {
      const [observed, end] = observe(context);
      const route = handlers.recordRoute(context);
      return {
        add(point) {
          observed.items++;
          return route.add(point);
        },
        finish: () => route.finish(),
        end() {
          route.end?.();
          end();
        },
      };
    },
    routeChat(context) {
      const [observed, end] = observe(context);
      const chat = handlers.routeChat(context);
      const count = (answers: readonly RouteNote[]) => {
        observed.items += answers.length;
        return answers;
      };
      return {
        note(note) {
          const answers = chat.note(note);
          return answers instanceof Promise
            ? answers.then(count)
            : count(answers);
        },
        end() {
          chat.end?.();
          end();
        },
      };
    },
  };
  const implementation = toGrpcImplementation(wrapped, () => {});
  // Count listeners our code left on each call once its handler has ended:
  // those present at the end that grpc-js had not put there at the start.
  const listeners = (call: grpc.ServerWritableStream<unknown, unknown>) =>
    call.eventNames().reduce<number>(
      (sum, event) => sum + call.listenerCount(event),
      0,
    );
  for (const [name, method] of Object.entries(implementation)) {
    implementation[name] = ((
      call: grpc.ServerWritableStream<unknown, unknown>,
      ...rest: unknown[]
    ) => {
      const before = listeners(call);
      const result = (method as (...args: unknown[]) => unknown)(
        call,
        ...rest,
      );
      started.promise.then((observed) =>
        observed.ended.then(() => {
          // A destroyed call's listeners go with it (Node's stream iterator
          // leaves its own on a stream it destroys); a live one must have none.
          observed.listenersLeft = call.destroyed
            ? 0
            : listeners(call) - before;
        })
      );
      return result;
    }) as grpc.UntypedHandleCall;
  }
  return { implementation, calls, started: started.promise };
}

async function serve(features = gridFeatures(200_000)) {
  const probe = instrumented(
    createRouteGuide({
      features: new FeatureDatabase(features),
      notes: new MemoryNoteBoard(),
    }),
  );
  const server = new grpc.Server();
  server.addService(routeGuideServiceDefinition, probe.implementation);
  const address = await bindLoopback(server);
  const client = new RouteGuideClient(address);
  return {
    ...probe,
    client,
    async [Symbol.asyncDispose]() {
      client.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

async function expectCode(
  promise: Promise<unknown>,
  code: number,
): Promise<void> {
  await assert.rejects(promise, (error: { code: number }) => {
    assert.equal(error.code, code);
    return true;
  });
}

/** After the call ended: the handler's work ended, nothing after the abort. */
async function assertStopped(
  observed: Observed,
  total?: number,
): Promise<void> {
  await observed.ended;
  assert.notEqual(
    observed.itemsAtAbort,
    undefined,
    "the call's signal aborted",
  );
  // One item may be in flight when the abort lands; nothing after that.
  assert.ok(
    observed.items <= observed.itemsAtAbort! + 1,
    `${observed.items - observed.itemsAtAbort!} items after the abort`,
  );
  if (total !== undefined) {
    assert.ok(observed.items < total, "it stopped early");
  }
  await Promise.resolve();
  assert.equal(observed.listenersLeft ?? 0, 0, "listeners left on the call");
}

Deno.test("ListFeatures stops writing when the client cancels", async () => {
  await using server = await serve();
  const controller = new AbortController();
  await expectCode(
    (async () => {
      for await (
        const _ of server.client.listFeatures(WORLD, {
          signal: controller.signal,
        })
      ) {
        controller.abort();
      }
    })(),
    Status.CANCELLED,
  );
  await assertStopped(await server.started, 200_000);
});

Deno.test("ListFeatures stops writing when its deadline passes", async () => {
  await using server = await serve();
  await expectCode(
    (async () => {
      for await (
        const _ of server.client.listFeatures(WORLD, { timeoutMs: 200 })
      ) {
        // Read one feature, then nothing until the server saw the deadline.
        await (await server.started).aborted;
      }
    })(),
    Status.DEADLINE_EXCEEDED,
  );
  await assertStopped(await server.started, 200_000);
});

function route(n: number): Point[] {
  return Array.from({ length: n }, (_, i) => ({ latitude: i, longitude: i }));
}

Deno.test("RecordRoute stops reading when the client cancels", async () => {
  await using server = await serve(gridFeatures(10));
  const controller = new AbortController();
  async function* points() {
    yield* route(3);
    // Keep the stream open until the server has read all three, then cancel.
    const observed = await server.started;
    await observed.read(3);
    controller.abort();
  }
  await expectCode(
    server.client.recordRoute(points(), { signal: controller.signal }),
    Status.CANCELLED,
  );
  await assertStopped(await server.started);
});

Deno.test("RecordRoute stops reading when its deadline passes", async () => {
  await using server = await serve(gridFeatures(10));
  async function* points() {
    yield* route(3);
    await (await server.started).aborted;
  }
  await expectCode(
    server.client.recordRoute(points(), { timeoutMs: 200 }),
    Status.DEADLINE_EXCEEDED,
  );
  await assertStopped(await server.started);
});

const here = { latitude: 5, longitude: 5 };
const note = (message: string): RouteNote => ({ location: here, message });

/** Two notes, then no more until the server-side call has aborted. */
async function* twoNotesThenWait(started: Promise<Observed>) {
  yield note("first");
  yield note("second");
  await (await started).aborted;
}

Deno.test("RouteChat stops when the client cancels", async () => {
  await using server = await serve(gridFeatures(10));
  const controller = new AbortController();
  const received: string[] = [];
  await expectCode(
    (async () => {
      for await (
        const back of server.client.routeChat(
          twoNotesThenWait(server.started),
          { signal: controller.signal },
        )
      ) {
        received.push(back.message);
        controller.abort();
      }
    })(),
    Status.CANCELLED,
  );
  assert.deepEqual(received, ["first"]);
  await assertStopped(await server.started);
});

Deno.test("RouteChat stops when its deadline passes", async () => {
  await using server = await serve(gridFeatures(10));
  const received: string[] = [];
  await expectCode(
    (async () => {
      for await (
        const back of server.client.routeChat(
          twoNotesThenWait(server.started),
          { timeoutMs: 300 },
        )
      ) {
        received.push(back.message);
      }
    })(),
    Status.DEADLINE_EXCEEDED,
  );
  assert.deepEqual(received, ["first"]);
  await assertStopped(await server.started);
});

Deno.test("RouteChat ends with its status when the client half-closes at once", async () => {
  await using server = await serve(gridFeatures(10));
  // All notes written and the stream half-closed before the server reads:
  // the server must still send its answers and then the OK status.
  const back = await Array.fromAsync(
    server.client.routeChat([note("a"), note("b"), note("c")], {
      timeoutMs: 5_000,
    }),
  );
  assert.deepEqual(back.map((n) => n.message), ["a", "a", "b"]);
});
