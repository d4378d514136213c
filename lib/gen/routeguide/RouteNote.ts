// Original file: protos/route_guide.proto

import type { Point as _routeguide_Point, Point__Output as _routeguide_Point__Output } from '../routeguide/Point.ts';

/**
 * A RouteNote is a message sent while at a given point.
 */
export interface RouteNote {
  /**
   * The location from which the message is sent.
   */
  'location'?: (_routeguide_Point | null);
  /**
   * The message to be sent.
   */
  'message'?: (string);
}

/**
 * A RouteNote is a message sent while at a given point.
 */
export interface RouteNote__Output {
  /**
   * The location from which the message is sent.
   */
  'location': (_routeguide_Point__Output | null);
  /**
   * The message to be sent.
   */
  'message': (string);
}
