/**
 * The RouteGuide service itself: the handlers of handlers.ts over a feature
 * database and a note board, with RouteChat's bounds. No transport here.
 *
 * @module
 */
import { RouteGuideError, Status } from "./errors.ts";
import type { FeatureDatabase } from "./features.ts";
import { distanceE7, isValidPoint, normalizeRectangle } from "./geo.ts";
import { UNREAD_LIVE_NOTE_BYTES } from "./note_watchers.ts";
import {
  DEFAULT_MAX_LOCATIONS,
  DEFAULT_MAX_NOTE_BOARD_BYTES,
  DEFAULT_NOTES_PER_LOCATION,
  type NoteBoard,
  type NoteBoardLimits,
  noteBytes,
} from "./notes.ts";
import type { RouteGuideHandlers } from "./handlers.ts";
import type { RouteNote } from "./types.ts";
import { checkNote, checkPoint, checkRectangle } from "./validate.ts";

/**
 * The bounds on RouteChat in one object: what one call may send, how many
 * calls run at once, and what the in-memory note board keeps.
 *
 * @example Stricter bounds over the defaults
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_ROUTE_CHAT_LIMITS, type RouteChatLimits } from "./service.ts";
 * const strict: RouteChatLimits = { maxNotesPerCall: 100, maxConcurrentChats: 10 };
 * assert.equal(DEFAULT_ROUTE_CHAT_LIMITS.maxNotesPerCall, 10_000);
 * assert.equal({ ...DEFAULT_ROUTE_CHAT_LIMITS, ...strict }.notesPerLocation, 100);
 * ```
 */
export interface RouteChatLimits extends NoteBoardLimits {
  /**
   * Notes one call may send; the next one ends the call with
   * RESOURCE_EXHAUSTED (default 10,000).
   */
  maxNotesPerCall?: number;
  /**
   * Calls at once, across the service; the next one ends with
   * RESOURCE_EXHAUSTED (default 1,000).
   */
  maxConcurrentChats?: number;
}

/** The RouteChat bounds unless told otherwise. */
export const DEFAULT_ROUTE_CHAT_LIMITS: Readonly<Required<RouteChatLimits>> =
  Object.freeze({
    maxNotesPerCall: 10_000,
    maxConcurrentChats: 1_000,
    notesPerLocation: DEFAULT_NOTES_PER_LOCATION,
    maxLocations: DEFAULT_MAX_LOCATIONS,
    maxBytes: DEFAULT_MAX_NOTE_BOARD_BYTES,
  });

/**
 * What the RouteGuide service answers from.
 *
 * @example One note per RouteChat call
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouteGuideError, Status } from "./errors.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
 * import { createRouteGuide, type RouteGuideOptions } from "./service.ts";
 * const options: RouteGuideOptions = {
 *   features: new FeatureDatabase([]),
 *   notes: new MemoryNoteBoard(),
 *   chat: { maxNotesPerCall: 1 },
 * };
 * const chat = createRouteGuide(options).routeChat({ signal: new AbortController().signal, send() {} });
 * const note = { location: { latitude: 1, longitude: 1 }, message: "hi" };
 * await chat.note(note);
 * assert.throws(
 *   () => chat.note(note),
 *   (error) => error instanceof RouteGuideError && error.code === Status.RESOURCE_EXHAUSTED,
 * );
 * ```
 */
export interface RouteGuideOptions {
  /** The feature database. */
  features: FeatureDatabase;
  /** Where RouteChat notes are shared. */
  notes: NoteBoard;
  /** RouteChat's per-call and concurrency bounds (the board has its own). */
  chat?: RouteChatLimits;
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Builds the RouteGuide handlers over a feature database and a note board.
 *
 * @example Answering GetFeature without a server
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRouteGuide } from "./service.ts";
 * import { FeatureDatabase } from "./features.ts";
 * import { MemoryNoteBoard } from "./memory_notes.ts";
 * const guide = createRouteGuide({
 *   features: new FeatureDatabase([{ name: "Here", location: { latitude: 1, longitude: 2 } }]),
 *   notes: new MemoryNoteBoard(),
 * });
 * const context = { signal: new AbortController().signal };
 * const feature = await guide.getFeature({ latitude: 1, longitude: 2 }, context);
 * assert.equal(feature.name, "Here");
 * ```
 */
export function createRouteGuide(
  options: RouteGuideOptions,
): RouteGuideHandlers {
  const { features, notes } = options;
  const { maxNotesPerCall, maxConcurrentChats } = {
    ...DEFAULT_ROUTE_CHAT_LIMITS,
    ...options.chat,
  };
  let chats = 0;

  return {
    getFeature(point) {
      checkPoint(point, "point");
      return features.at(point) ?? { name: "", location: point };
    },

    listFeatures(rectangle) {
      const { lo, hi } = checkRectangle(rectangle);
      return features.within(normalizeRectangle(lo, hi));
    },

    recordRoute() {
      const start = performance.now();
      let pointCount = 0;
      let featureCount = 0;
      let metres = 0;
      let latitude = 0;
      let longitude = 0;
      return {
        add(point) {
          // The field name is built only for the error message.
          if (point === null || !isValidPoint(point)) {
            checkPoint(point, `point[${pointCount}]`);
          }
          if (pointCount++ > 0) {
            metres += distanceE7(
              latitude,
              longitude,
              point.latitude,
              point.longitude,
            );
          }
          latitude = point.latitude;
          longitude = point.longitude;
          if (features.indexOf(latitude, longitude) >= 0) featureCount++;
        },
        finish() {
          return {
            pointCount,
            featureCount,
            distance: Math.min(Math.trunc(metres), INT32_MAX),
            elapsedTime: Math.trunc((performance.now() - start) / 1000),
          };
        },
      };
    },

    routeChat(context) {
      if (chats >= maxConcurrentChats) {
        throw new RouteGuideError(
          Status.RESOURCE_EXHAUSTED,
          `the server is already running ${maxConcurrentChats} RouteChat calls; retry later`,
        );
      }
      chats++;
      let received = 0;
      let open = true;
      // Answers being made (a board that answers later), and the live
      // notes that wait for them to go out first, up to the transports'
      // own bound on unread live notes (past it, they go out at once).
      let answering = 0;
      let held: RouteNote[] = [];
      let heldBytes = 0;
      // A closure of its own: the board tells watchers apart by identity.
      const watcher = (note: RouteNote) => {
        if (answering > 0 && heldBytes < UNREAD_LIVE_NOTE_BYTES) {
          held.push(note);
          heldBytes += noteBytes(note);
        } else context.send(note);
      };
      return {
        note(note) {
          if (++received > maxNotesPerCall) {
            throw new RouteGuideError(
              Status.RESOURCE_EXHAUSTED,
              `RouteChat accepts at most ${maxNotesPerCall} notes per call`,
            );
          }
          checkNote(note);
          // A note handled after the end starts no watch: none would end it.
          const live = open ? watcher : undefined;
          if (notes.exchangeSync) return notes.exchangeSync(note, live);
          answering++;
          return notes.exchange(note, live).finally(() => answering--);
        },
        answered() {
          if (answering > 0 || held.length === 0) return;
          const waiting = held;
          held = [];
          heldBytes = 0;
          for (const note of waiting) context.send(note);
        },
        end() {
          if (open) {
            chats--;
            notes.unwatch?.(watcher);
            held = [];
          }
          open = false;
        },
      };
    },
  };
}
