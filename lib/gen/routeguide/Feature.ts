// Original file: protos/route_guide.proto

import type { Point as _routeguide_Point, Point__Output as _routeguide_Point__Output } from '../routeguide/Point.ts';

/**
 * A feature names something at a given point.
 * 
 * If a feature could not be named, the name is empty.
 */
export interface Feature {
  /**
   * The name of the feature.
   */
  'name'?: (string);
  /**
   * The point where the feature is detected.
   */
  'location'?: (_routeguide_Point | null);
}

/**
 * A feature names something at a given point.
 * 
 * If a feature could not be named, the name is empty.
 */
export interface Feature__Output {
  /**
   * The name of the feature.
   */
  'name': (string);
  /**
   * The point where the feature is detected.
   */
  'location': (_routeguide_Point__Output | null);
}
