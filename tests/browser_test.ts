/**
 * The page at `/` in a real browser against the world's cities: what it
 * shows for a drag, a click, a route and a chat note is what our gRPC
 * client gets for the same calls; and its Stop button cancels the call on
 * the server.
 */
import assert from "node:assert/strict";
import { type Feature, loadWorldCities, type Rectangle } from "../mod.ts";
import {
  chatAt,
  clickPoint,
  dataOf,
  dragRectangle,
  isolated,
  launchChromium,
  leaveChat,
  listingResult,
  openPage,
  pxPerDegree,
  sendNote,
  showsNotes,
  startServers,
  statusLine,
} from "./_browser.ts";

Deno.test("the page lists, names, records and chats as the gRPC port answers", async (t) => {
  await using servers = await startServers(await loadWorldCities());
  const { web, client } = servers;
  const browser = await launchChromium();
  try {
    const page = await openPage(browser, `${web.url}/`);
    let listed: Feature[] = [];

    await t.step(
      "a dragged rectangle shows what ListFeatures gives",
      async () => {
        await dragRectangle(page, [42, -75], [40, -73]);
        const { count, state, rectangle } = await listingResult(page);
        assert.equal(state, "done");
        const [south, west, north, east] = rectangle;
        listed = await Array.fromAsync(client.listFeatures({
          lo: { latitude: south, longitude: west },
          hi: { latitude: north, longitude: east },
        }));
        assert.ok(listed.length > 500, `only ${listed.length} features listed`);
        assert.equal(count, listed.length);
      },
    );

    const alone = isolated(listed, await pxPerDegree(page));
    assert.ok(alone.length >= 5, `${alone.length} isolated features`);

    await t.step("a clicked point shows GetFeature's name", async () => {
      const target = alone[0];
      await clickPoint(page, target.location!);
      await page.waitForSelector(
        `#feature[data-name=${JSON.stringify(target.name)}]`,
        { timeout: 10_000 },
      );
      assert.equal(
        (await client.getFeature(target.location!)).name,
        target.name,
      );
    });

    await t.step("a drawn route gets RecordRoute's summary", async () => {
      const route = alone.slice(1, 5).map((f) => f.location!);
      await page.click('#modes button[data-mode="route"]');
      for (const point of route) await clickPoint(page, point);
      await page.click("#finish");
      await page.waitForSelector("#summary:not([hidden])", {
        timeout: 10_000,
      });
      const shown = await dataOf(page, "#summary");
      const summary = await client.recordRoute(route);
      assert.deepEqual(
        {
          points: Number(shown.points),
          features: Number(shown.features),
          distance: Number(shown.distance),
        },
        {
          points: summary.pointCount,
          features: summary.featureCount,
          distance: summary.distance,
        },
      );
      assert.equal(summary.featureCount, 4);
      assert.ok(Number(shown.elapsed) <= 1, `elapsed ${shown.elapsed} s`);
    });

    await t.step(
      "a note sent in one page shows live in another and in a gRPC chat, and a gRPC note in both pages",
      async () => {
        const [latitude, longitude] = [12.5, 45.25];
        const here = { latitude: 125_000_000, longitude: 452_500_000 };
        await sendNote(page, latitude, longitude, "hello from page A", [
          "hello from page A",
        ]);
        const other = await openPage(browser, `${web.url}/`);
        await sendNote(other, latitude, longitude, "hi from page B", [
          "hello from page A",
          "hi from page B",
        ]);
        // Page A has written there: B's note shows in it live.
        await showsNotes(page, ["hello from page A", "hi from page B"]);
        // A gRPC chat at the place, left open until A's next note reaches it.
        const answered = Promise.withResolvers<void>();
        const heardA = Promise.withResolvers<void>();
        async function* fromGrpc() {
          yield { location: here, message: "from gRPC" };
          await heardA.promise;
        }
        const heard: string[] = [];
        const grpcChat = (async () => {
          for await (
            const n of client.routeChat(fromGrpc(), { timeoutMs: 20_000 })
          ) {
            heard.push(n.message);
            if (heard.length === 2) answered.resolve();
            if (n.message === "back in A") heardA.resolve();
          }
        })();
        await answered.promise;
        const all = ["hello from page A", "hi from page B", "from gRPC"];
        await showsNotes(page, all);
        await showsNotes(other, all);
        await sendNote(page, latitude, longitude, "back in A", [
          ...all,
          "back in A",
        ]);
        await grpcChat;
        assert.deepEqual(heard, [...all.slice(0, 2), "back in A"]);
        await showsNotes(other, [...all, "back in A"]);
        await leaveChat(other);
        await other.close();
      },
    );
  } finally {
    await browser.close();
  }
});

/**
 * A feature every 0.0001 degrees inside the rectangle, made as they are
 * listed: 400 million in the 2-degree square below, more than any buffer
 * between the server and the page holds, so the server is still sending
 * when Stop is pressed, however fast or slow the machine.
 */
function* denseGrid(rectangle: Rectangle): Generator<Feature> {
  const { lo, hi } = rectangle;
  const [south, north] = [lo!.latitude, hi!.latitude].sort((a, b) => a - b);
  const [west, east] = [lo!.longitude, hi!.longitude].sort((a, b) => a - b);
  for (let latitude = south; latitude <= north; latitude += 1_000) {
    for (let longitude = west; longitude <= east; longitude += 1_000) {
      yield { name: "", location: { latitude, longitude } };
    }
  }
}

Deno.test("Stop cancels a large ListFeatures mid-stream, as the access log shows", async () => {
  await using servers = await startServers([], {
    replace: { listFeatures: denseGrid },
  });
  const browser = await launchChromium();
  try {
    const page = await openPage(browser, `${servers.web.url}/`);
    // Found before the stream starts: asking the DOM where an element is
    // takes a second or more while the page is busy with the stream.
    const stop = (await (await page.$("#stop"))!.boundingBox())!;
    await dragRectangle(page, [1, -1], [-1, 1]);
    await page.waitForFunction(
      'Number(document.getElementById("list-count").dataset.count) >= 1000',
      { timeout: 30_000, polling: "mutation" },
    );
    await page.mouse.click(stop.x + stop.width / 2, stop.y + stop.height / 2);
    const { count, state } = await listingResult(page);
    assert.equal(state, "stopped");
    const line = await servers.waitForLog((line) =>
      line.method === "/routeguide.RouteGuide/ListFeatures"
    );
    assert.equal(line.code, "CANCELLED", JSON.stringify(line));
    assert.ok(count <= (line.out as number), `${count} > ${line.out}`);
  } finally {
    await browser.close();
  }
});

Deno.test("with a token, the page says UNAUTHENTICATED in one line until it is given, then calls go through; UNAVAILABLE once the server is gone", async () => {
  const token = "s3cret/+token";
  const paris = { latitude: 488_534_100, longitude: 23_488_000 };
  await using servers = await startServers(
    [{ name: "Paris, FR", location: paris }],
    { token },
  );
  const browser = await launchChromium();
  try {
    const page = await openPage(browser, `${servers.web.url}/`);
    await clickPoint(page, paris);
    assert.match(
      await statusLine(page, "GetFeature failed"),
      /^GetFeature failed: UNAUTHENTICATED: .*token/,
    );
    await chatAt(page, 48.85341, 2.3488, "without the token");
    assert.match(
      await statusLine(page, "RouteChat failed"),
      /^RouteChat failed: UNAUTHENTICATED: .*token/,
    );

    await page.type("#token", token);
    await page.$eval(
      "#token",
      (input) => input.dispatchEvent(new Event("change")),
    );
    await page.click('#modes button[data-mode="list"]');
    await dragRectangle(page, [50, 1], [47, 4]);
    assert.deepEqual(
      (({ count, state }) => ({ count, state }))(await listingResult(page)),
      { count: 1, state: "done" },
    );
    await clickPoint(page, paris);
    await page.waitForSelector('#feature[data-name="Paris, FR"]', {
      timeout: 10_000,
    });
    await sendNote(page, 48.85341, 2.3488, "with the token", [
      "with the token",
    ]);
    await leaveChat(page);
    const earlier = await Array.fromAsync(
      servers.client.routeChat([{ location: paris, message: "gRPC" }]),
    );
    assert.deepEqual(earlier.map((n) => n.message), ["with the token"]);

    await servers.web.close();
    await page.click('#modes button[data-mode="list"]');
    await clickPoint(page, paris);
    assert.match(
      await statusLine(page, "GetFeature failed"),
      /^GetFeature failed: UNAVAILABLE: cannot reach the server/,
    );
  } finally {
    await browser.close();
  }
});
