// Original file: protos/route_guide.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Feature as _routeguide_Feature, Feature__Output as _routeguide_Feature__Output } from '../routeguide/Feature.ts';
import type { Point as _routeguide_Point, Point__Output as _routeguide_Point__Output } from '../routeguide/Point.ts';
import type { Rectangle as _routeguide_Rectangle, Rectangle__Output as _routeguide_Rectangle__Output } from '../routeguide/Rectangle.ts';
import type { RouteNote as _routeguide_RouteNote, RouteNote__Output as _routeguide_RouteNote__Output } from '../routeguide/RouteNote.ts';
import type { RouteSummary as _routeguide_RouteSummary, RouteSummary__Output as _routeguide_RouteSummary__Output } from '../routeguide/RouteSummary.ts';

/**
 * Interface exported by the server.
 */
export interface RouteGuideClient extends grpc.Client {
  /**
   * A simple RPC.
   * 
   * Obtains the feature at a given position.
   * 
   * A feature with an empty name is returned if there's no feature at the given
   * position.
   */
  GetFeature(argument: _routeguide_Point, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_routeguide_Feature__Output>): grpc.ClientUnaryCall;
  GetFeature(argument: _routeguide_Point, metadata: grpc.Metadata, callback: grpc.requestCallback<_routeguide_Feature__Output>): grpc.ClientUnaryCall;
  GetFeature(argument: _routeguide_Point, options: grpc.CallOptions, callback: grpc.requestCallback<_routeguide_Feature__Output>): grpc.ClientUnaryCall;
  GetFeature(argument: _routeguide_Point, callback: grpc.requestCallback<_routeguide_Feature__Output>): grpc.ClientUnaryCall;
  /**
   * A simple RPC.
   * 
   * Obtains the feature at a given position.
   * 
   * A feature with an empty name is returned if there's no feature at the given
   * position.
   */
  getFeature(argument: _routeguide_Point, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_routeguide_Feature__Output>): grpc.ClientUnaryCall;
  getFeature(argument: _routeguide_Point, metadata: grpc.Metadata, callback: grpc.requestCallback<_routeguide_Feature__Output>): grpc.ClientUnaryCall;
  getFeature(argument: _routeguide_Point, options: grpc.CallOptions, callback: grpc.requestCallback<_routeguide_Feature__Output>): grpc.ClientUnaryCall;
  getFeature(argument: _routeguide_Point, callback: grpc.requestCallback<_routeguide_Feature__Output>): grpc.ClientUnaryCall;
  
  /**
   * A server-to-client streaming RPC.
   * 
   * Obtains the Features available within the given Rectangle.  Results are
   * streamed rather than returned at once (e.g. in a response message with a
   * repeated field), as the rectangle may cover a large area and contain a
   * huge number of features.
   */
  ListFeatures(argument: _routeguide_Rectangle, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_routeguide_Feature__Output>;
  ListFeatures(argument: _routeguide_Rectangle, options?: grpc.CallOptions): grpc.ClientReadableStream<_routeguide_Feature__Output>;
  /**
   * A server-to-client streaming RPC.
   * 
   * Obtains the Features available within the given Rectangle.  Results are
   * streamed rather than returned at once (e.g. in a response message with a
   * repeated field), as the rectangle may cover a large area and contain a
   * huge number of features.
   */
  listFeatures(argument: _routeguide_Rectangle, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_routeguide_Feature__Output>;
  listFeatures(argument: _routeguide_Rectangle, options?: grpc.CallOptions): grpc.ClientReadableStream<_routeguide_Feature__Output>;
  
  /**
   * A client-to-server streaming RPC.
   * 
   * Accepts a stream of Points on a route being traversed, returning a
   * RouteSummary when traversal is completed.
   */
  RecordRoute(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_routeguide_RouteSummary__Output>): grpc.ClientWritableStream<_routeguide_Point>;
  RecordRoute(metadata: grpc.Metadata, callback: grpc.requestCallback<_routeguide_RouteSummary__Output>): grpc.ClientWritableStream<_routeguide_Point>;
  RecordRoute(options: grpc.CallOptions, callback: grpc.requestCallback<_routeguide_RouteSummary__Output>): grpc.ClientWritableStream<_routeguide_Point>;
  RecordRoute(callback: grpc.requestCallback<_routeguide_RouteSummary__Output>): grpc.ClientWritableStream<_routeguide_Point>;
  /**
   * A client-to-server streaming RPC.
   * 
   * Accepts a stream of Points on a route being traversed, returning a
   * RouteSummary when traversal is completed.
   */
  recordRoute(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_routeguide_RouteSummary__Output>): grpc.ClientWritableStream<_routeguide_Point>;
  recordRoute(metadata: grpc.Metadata, callback: grpc.requestCallback<_routeguide_RouteSummary__Output>): grpc.ClientWritableStream<_routeguide_Point>;
  recordRoute(options: grpc.CallOptions, callback: grpc.requestCallback<_routeguide_RouteSummary__Output>): grpc.ClientWritableStream<_routeguide_Point>;
  recordRoute(callback: grpc.requestCallback<_routeguide_RouteSummary__Output>): grpc.ClientWritableStream<_routeguide_Point>;
  
  /**
   * A Bidirectional streaming RPC.
   * 
   * Accepts a stream of RouteNotes sent while a route is being traversed,
   * while receiving other RouteNotes (e.g. from other users).
   */
  RouteChat(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_routeguide_RouteNote, _routeguide_RouteNote__Output>;
  RouteChat(options?: grpc.CallOptions): grpc.ClientDuplexStream<_routeguide_RouteNote, _routeguide_RouteNote__Output>;
  /**
   * A Bidirectional streaming RPC.
   * 
   * Accepts a stream of RouteNotes sent while a route is being traversed,
   * while receiving other RouteNotes (e.g. from other users).
   */
  routeChat(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_routeguide_RouteNote, _routeguide_RouteNote__Output>;
  routeChat(options?: grpc.CallOptions): grpc.ClientDuplexStream<_routeguide_RouteNote, _routeguide_RouteNote__Output>;
  
}

/**
 * Interface exported by the server.
 */
export interface RouteGuideHandlers extends grpc.UntypedServiceImplementation {
  /**
   * A simple RPC.
   * 
   * Obtains the feature at a given position.
   * 
   * A feature with an empty name is returned if there's no feature at the given
   * position.
   */
  GetFeature: grpc.handleUnaryCall<_routeguide_Point__Output, _routeguide_Feature>;
  
  /**
   * A server-to-client streaming RPC.
   * 
   * Obtains the Features available within the given Rectangle.  Results are
   * streamed rather than returned at once (e.g. in a response message with a
   * repeated field), as the rectangle may cover a large area and contain a
   * huge number of features.
   */
  ListFeatures: grpc.handleServerStreamingCall<_routeguide_Rectangle__Output, _routeguide_Feature>;
  
  /**
   * A client-to-server streaming RPC.
   * 
   * Accepts a stream of Points on a route being traversed, returning a
   * RouteSummary when traversal is completed.
   */
  RecordRoute: grpc.handleClientStreamingCall<_routeguide_Point__Output, _routeguide_RouteSummary>;
  
  /**
   * A Bidirectional streaming RPC.
   * 
   * Accepts a stream of RouteNotes sent while a route is being traversed,
   * while receiving other RouteNotes (e.g. from other users).
   */
  RouteChat: grpc.handleBidiStreamingCall<_routeguide_RouteNote__Output, _routeguide_RouteNote>;
  
}

export interface RouteGuideDefinition extends grpc.ServiceDefinition {
  GetFeature: MethodDefinition<_routeguide_Point, _routeguide_Feature, _routeguide_Point__Output, _routeguide_Feature__Output>
  ListFeatures: MethodDefinition<_routeguide_Rectangle, _routeguide_Feature, _routeguide_Rectangle__Output, _routeguide_Feature__Output>
  RecordRoute: MethodDefinition<_routeguide_Point, _routeguide_RouteSummary, _routeguide_Point__Output, _routeguide_RouteSummary__Output>
  RouteChat: MethodDefinition<_routeguide_RouteNote, _routeguide_RouteNote, _routeguide_RouteNote__Output, _routeguide_RouteNote__Output>
}
