/// <reference lib="dom" />
/**
 * The chat panel: notes at one place over a RouteChat WebSocket, kept open
 * while the panel stays at that place.
 *
 * RouteChat answers each note with the notes stored at its location before
 * it, then sends, live, the notes others leave there: so the list shows the
 * place's board as of this page's last note there, that note, and what
 * others have written there since.
 *
 * @module
 */
import { openStream, type StreamCall } from "./calls.ts";
import type { WorldMap } from "./map.ts";
import { degrees, element, failed, report } from "./ui.ts";
import { RouteNoteSchema } from "../lib/gen/es/route_guide_pb.ts";
import { fromE7, pointFromDegrees } from "../lib/domain/geo.ts";
import type { Point } from "../lib/domain/types.ts";

/** What the rest of the page asks of the chat panel. */
export interface ChatPanel {
  /** Moves the panel to a place (a click on the map in chat mode). */
  setLocation(point: Point): void;
  /** Ends the open call, if any (the token changed). */
  end(): void;
}

/** Wires the chat panel; `token()` is read when a call opens. */
export function chatPanel(map: WorldMap, token: () => string): ChatPanel {
  const latitudeField = element<HTMLInputElement>("chat-lat");
  const longitudeField = element<HTMLInputElement>("chat-lng");
  const notesList = element("notes");
  let chat:
    | {
      key: string;
      call: StreamCall<typeof RouteNoteSchema>;
      pending: number;
      now: "live" | "earlier" | "stale";
    }
    | undefined;
  let lastSent: HTMLElement | undefined;

  function chatPoint(): Point | undefined {
    const latitude = latitudeField.valueAsNumber;
    const longitude = longitudeField.valueAsNumber;
    if (!(Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180)) {
      return undefined;
    }
    return pointFromDegrees(latitude, longitude);
  }

  function showChatLocation(): void {
    const point = chatPoint();
    if (!point) return;
    map.marker = { point, label: "chat" };
    map.redraw();
    element("chat-where").textContent = `Notes at ${degrees(point)}`;
    if (chat && chat.key !== degrees(point)) endChat();
  }

  function endChat(): void {
    chat?.call.end();
    chat = undefined;
    notesList.replaceChildren();
  }

  function noteItem(message: string, className: string): HTMLElement {
    const item = document.createElement("li");
    item.textContent = message;
    item.className = className;
    return item;
  }

  // How many RouteChat calls are still open, as data-open on the panel: one
  // that was left (another place, another token) stays open until the server
  // has handled every note sent on it.
  let openChats = 0;
  function showOpenChats(change: number): void {
    openChats += change;
    element("chat-panel").dataset.open = String(openChats);
  }

  function openChat(key: string): NonNullable<typeof chat> {
    const call = openStream(
      "RouteChat",
      { request: RouteNoteSchema, response: RouteNoteSchema },
      token(),
      (note) => {
        if (chat !== session || !lastSent) return;
        if (session.now === "earlier") {
          notesList.insertBefore(noteItem(note.message, "earlier"), lastSent);
        } else if (session.now === "live") {
          notesList.append(noteItem(note.message, "live"));
        }
      },
      (text) => {
        if (text === "answered") {
          session.pending--;
          session.now = "live";
        } else if (text === "answers" && chat === session && lastSent) {
          // The newest note's answer: the board before it, which holds
          // the live notes shown since it was sent. An older note's answer
          // is a stale copy of it: dropped.
          session.now = session.pending === 1 ? "earlier" : "stale";
          if (session.now === "earlier") notesList.replaceChildren(lastSent);
        }
      },
    );
    // Notes sent whose answers have not all come, and what arriving notes are.
    const session = {
      key,
      call,
      pending: 0,
      now: "live" as "live" | "earlier" | "stale",
    };
    showOpenChats(+1);
    call.done.then(
      () => {
        if (chat === session) chat = undefined;
      },
      (error) => {
        if (chat === session) chat = undefined;
        failed("RouteChat", error);
      },
    ).finally(() => showOpenChats(-1));
    return session;
  }

  element("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const messageField = element<HTMLInputElement>("message");
    const location = chatPoint();
    if (!location) {
      report(
        "Chat: give a latitude within +-90 and a longitude within +-180 degrees",
        true,
      );
      return;
    }
    const key = degrees(location);
    if (chat?.key !== key) {
      endChat();
      chat = openChat(key);
    }
    lastSent = noteItem(messageField.value, "sent");
    notesList.replaceChildren(lastSent);
    chat.pending++;
    chat.call.send({ location, message: messageField.value });
    messageField.value = "";
  });
  latitudeField.addEventListener("change", showChatLocation);
  longitudeField.addEventListener("change", showChatLocation);

  return {
    setLocation(point) {
      latitudeField.value = String(fromE7(point.latitude));
      longitudeField.value = String(fromE7(point.longitude));
      showChatLocation();
    },
    end: endChat,
  };
}
