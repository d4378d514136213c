"""RouteGuide interop peer for the Deno tests, on Debian's python3-grpcio.

Messages come from route_guide_pb2, which the test generates with protoc
into a temporary directory passed as --gen. No grpc_tools: the service is
wired with grpc's generic handlers.

  client ADDRESS         run all four RPCs against ADDRESS, print one JSON
                         object with what came back
  server --db FILE       serve RouteGuide on 127.0.0.1 (a free port) from a
                         route_guide_db.json-style FILE; print the address
"""
import argparse
import json
import math
import sys
import threading
import time
from concurrent import futures

import grpc

SERVICE = "routeguide.RouteGuide"


def load_messages(gen_dir):
    sys.path.insert(0, gen_dir)
    import route_guide_pb2  # noqa: E402 (generated at test time)

    return route_guide_pb2


def method(name):
    return f"/{SERVICE}/{name}"


def run_client(pb, address):
    channel_a = grpc.insecure_channel(address)
    channel_b = grpc.insecure_channel(address)
    serialize = lambda m: m.SerializeToString()  # noqa: E731

    def unary_unary(channel, name, response):
        return channel.unary_unary(method(name), serialize, response.FromString)

    get_feature = unary_unary(channel_a, "GetFeature", pb.Feature)
    list_features = channel_a.unary_stream(
        method("ListFeatures"), serialize, pb.Feature.FromString
    )
    record_route = channel_a.stream_unary(
        method("RecordRoute"), serialize, pb.RouteSummary.FromString
    )

    def chat(channel, notes):
        call = channel.stream_stream(
            method("RouteChat"), serialize, pb.RouteNote.FromString
        )
        return [n.message for n in call(iter(notes), timeout=10)]

    def point(lat, lng):
        return pb.Point(latitude=lat, longitude=lng)

    def feature(f):
        return {"name": f.name, "latitude": f.location.latitude,
                "longitude": f.location.longitude}

    out = {}
    out["get_named"] = feature(get_feature(point(10, 10), timeout=10))
    out["get_missing"] = feature(get_feature(point(11, 11), timeout=10))
    try:
        get_feature(point(910000000, 0), timeout=10)
        out["get_invalid"] = "OK"
    except grpc.RpcError as error:
        out["get_invalid"] = error.code().name
    # Corners given high-to-low: the server normalises them.
    rect = pb.Rectangle(lo=point(40, 40), hi=point(0, 0))
    out["list"] = [feature(f) for f in list_features(rect, timeout=10)]
    route = [point(10, 10), point(20, 20), point(25, 25), point(30, 30)]
    summary = record_route(iter(route), timeout=10)
    out["summary"] = {
        "point_count": summary.point_count,
        "feature_count": summary.feature_count,
        "distance": summary.distance,
        "elapsed_time": summary.elapsed_time,
    }
    here = point(7, 7)
    # Two clients on two channels: notes from A reach B.
    out["chat_a"] = chat(channel_a, [
        pb.RouteNote(location=here, message="a1"),
        pb.RouteNote(location=here, message="a2"),
    ])
    out["chat_b"] = chat(channel_b, [pb.RouteNote(location=here, message="b1")])
    channel_a.close()
    channel_b.close()
    print(json.dumps(out), flush=True)


def haversine(p, q):
    """Metres between two E7 points, as the RouteGuide servers compute it."""
    rad = lambda e7: math.radians(e7 / 1e7)  # noqa: E731
    lat1, lat2 = rad(p.latitude), rad(q.latitude)
    dlat, dlng = lat2 - lat1, rad(q.longitude) - rad(p.longitude)
    a = (math.sin(dlat / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2)
    return 6371000 * 2 * math.atan2(math.sqrt(a), math.sqrt(1 - a))


class RouteGuide:
    def __init__(self, pb, features):
        self.pb = pb
        self.features = features
        self.notes = {}
        self.lock = threading.Lock()

    def at(self, p):
        for f in self.features:
            if (f.location.latitude, f.location.longitude) == (p.latitude, p.longitude):
                return f
        return None

    def GetFeature(self, request, context):
        return self.at(request) or self.pb.Feature(name="", location=request)

    def ListFeatures(self, request, context):
        lo_lat = min(request.lo.latitude, request.hi.latitude)
        hi_lat = max(request.lo.latitude, request.hi.latitude)
        lo_lng = min(request.lo.longitude, request.hi.longitude)
        hi_lng = max(request.lo.longitude, request.hi.longitude)
        for f in self.features:
            if (lo_lat <= f.location.latitude <= hi_lat
                    and lo_lng <= f.location.longitude <= hi_lng):
                yield f

    def RecordRoute(self, request_iterator, context):
        start = time.monotonic()
        count = features = 0
        metres = 0.0
        previous = None
        for p in request_iterator:
            count += 1
            if self.at(p):
                features += 1
            if previous is not None:
                metres += haversine(previous, p)
            previous = p
        return self.pb.RouteSummary(
            point_count=count, feature_count=features,
            distance=min(int(metres), 2**31 - 1),
            elapsed_time=int(time.monotonic() - start))

    def RouteChat(self, request_iterator, context):
        for note in request_iterator:
            key = (note.location.latitude, note.location.longitude)
            with self.lock:
                earlier = list(self.notes.get(key, []))
                self.notes.setdefault(key, []).append(note)
            yield from earlier


def run_server(pb, db):
    with open(db) as f:
        entries = json.load(f)
    features = [
        pb.Feature(name=e["name"], location=pb.Point(
            latitude=e["location"]["latitude"],
            longitude=e["location"]["longitude"]))
        for e in entries
    ]
    guide = RouteGuide(pb, features)
    des = lambda cls: cls.FromString  # noqa: E731
    ser = lambda m: m.SerializeToString()  # noqa: E731
    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "GetFeature": grpc.unary_unary_rpc_method_handler(
            guide.GetFeature, des(pb.Point), ser),
        "ListFeatures": grpc.unary_stream_rpc_method_handler(
            guide.ListFeatures, des(pb.Rectangle), ser),
        "RecordRoute": grpc.stream_unary_rpc_method_handler(
            guide.RecordRoute, des(pb.Point), ser),
        "RouteChat": grpc.stream_stream_rpc_method_handler(
            guide.RouteChat, des(pb.RouteNote), ser),
    })
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"listening on 127.0.0.1:{port}", flush=True)
    # Runs until the test closes our stdin.
    sys.stdin.read()
    server.stop(grace=None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gen", required=True)
    sub = parser.add_subparsers(dest="mode", required=True)
    client = sub.add_parser("client")
    client.add_argument("address")
    server = sub.add_parser("server")
    server.add_argument("--db", required=True)
    args = parser.parse_args()
    pb = load_messages(args.gen)
    if args.mode == "client":
        run_client(pb, args.address)
    else:
        run_server(pb, args.db)


if __name__ == "__main__":
    main()
