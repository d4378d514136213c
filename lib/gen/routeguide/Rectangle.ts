// Original file: protos/route_guide.proto

import type { Point as _routeguide_Point, Point__Output as _routeguide_Point__Output } from '../routeguide/Point.ts';

/**
 * A latitude-longitude rectangle, represented as two diagonally opposite
 * points "lo" and "hi".
 */
export interface Rectangle {
  /**
   * One corner of the rectangle.
   */
  'lo'?: (_routeguide_Point | null);
  /**
   * The other corner of the rectangle.
   */
  'hi'?: (_routeguide_Point | null);
}

/**
 * A latitude-longitude rectangle, represented as two diagonally opposite
 * points "lo" and "hi".
 */
export interface Rectangle__Output {
  /**
   * One corner of the rectangle.
   */
  'lo': (_routeguide_Point__Output | null);
  /**
   * The other corner of the rectangle.
   */
  'hi': (_routeguide_Point__Output | null);
}
