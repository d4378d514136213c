// Original file: protos/route_guide.proto


/**
 * A RouteSummary is received in response to a RecordRoute rpc.
 * 
 * It contains the number of individual points received, the number of
 * detected features, and the total distance covered as the cumulative sum of
 * the distance between each point.
 */
export interface RouteSummary {
  /**
   * The number of points received.
   */
  'pointCount'?: (number);
  /**
   * The number of known features passed while traversing the route.
   */
  'featureCount'?: (number);
  /**
   * The distance covered in metres.
   */
  'distance'?: (number);
  /**
   * The duration of the traversal in seconds.
   */
  'elapsedTime'?: (number);
}

/**
 * A RouteSummary is received in response to a RecordRoute rpc.
 * 
 * It contains the number of individual points received, the number of
 * detected features, and the total distance covered as the cumulative sum of
 * the distance between each point.
 */
export interface RouteSummary__Output {
  /**
   * The number of points received.
   */
  'pointCount': (number);
  /**
   * The number of known features passed while traversing the route.
   */
  'featureCount': (number);
  /**
   * The distance covered in metres.
   */
  'distance': (number);
  /**
   * The duration of the traversal in seconds.
   */
  'elapsedTime': (number);
}
