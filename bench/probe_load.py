#!/usr/bin/env python3
"""What probing an upload costs, and what it does to everyone else.

Starts the given server binary on a fresh data directory, uploads FILE once (timing the whole
request: streaming, probing, storing), then uploads it FOUR times at once while measuring the
latency of `{ serverTime }` (one request at a time, every 10 ms) against a baseline taken with
nothing else running.

    cargo build --release
    python3 bench/probe_load.py ./target/release/soundroom long.mp3

Standard library only. Each upload is a GraphQL multipart request, as apollo-upload-client sends.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gql(base, query, variables=None, token=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(base + "/graphql", data=body, method="POST")
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=600) as resp:
        return json.load(resp)


def upload(base, token, artist, path):
    boundary = "----bench" + uuid.uuid4().hex
    operations = json.dumps({
        "query": "mutation($i: UploadTrackInput!, $f: Upload!) { uploadTrack(input: $i, file: $f) { id durationMs } }",
        "variables": {"i": {"name": "Bench", "artistId": artist}, "f": None},
    })
    with open(path, "rb") as f:
        data = f.read()
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{operations}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{{"0": ["variables.f"]}}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="{os.path.basename(path)}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode(),
        data,
        f"\r\n--{boundary}--\r\n".encode(),
    ]
    req = urllib.request.Request(base + "/graphql", data=b"".join(parts), method="POST")
    req.add_header("content-type", f"multipart/form-data; boundary={boundary}")
    req.add_header("authorization", "Bearer " + token)
    start = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as resp:
        body = json.load(resp)
    return time.perf_counter() - start, body


def latencies(base, stop, out):
    while not stop.is_set():
        start = time.perf_counter()
        gql(base, "{ serverTime }")
        out.append((time.perf_counter() - start) * 1000)
        time.sleep(0.01)


def summary(values):
    values = sorted(values)
    p = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    return f"n={len(values)} p50={p(0.5):.2f} ms p99={p(0.99):.2f} ms max={values[-1]:.2f} ms"


def main():
    binary, path = sys.argv[1], sys.argv[2]
    data_dir = tempfile.mkdtemp()
    port = free_port()
    env = dict(os.environ, DATA_DIR=data_dir, PORT=str(port), RATE_LIMIT="off", RUST_LOG="warn")
    server = subprocess.Popen([binary], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        auth = gql(base, "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
                   {"i": {"email": "bench@example.com", "username": "bench", "password": "correct horse"}})
        token = auth["data"]["register"]["accessToken"]
        artist = gql(base, 'mutation { createArtist(input: { name: "Bench" }) { id } }', token=token)
        artist = artist["data"]["createArtist"]["id"]

        base_lat = []
        stop = threading.Event()
        t = threading.Thread(target=latencies, args=(base, stop, base_lat))
        t.start()
        time.sleep(3)
        stop.set()
        t.join()
        print("serverTime, idle:          ", summary(base_lat))

        seconds, body = upload(base, token, artist, path)
        outcome = body.get("data") or body.get("errors")
        print(f"one upload: {seconds:.2f} s -> {json.dumps(outcome)[:160]}")

        loaded = []
        stop = threading.Event()
        t = threading.Thread(target=latencies, args=(base, stop, loaded))
        t.start()
        results = [None] * 4
        def run(i):
            results[i] = upload(base, token, artist, path)
        workers = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        start = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        wall = time.perf_counter() - start
        stop.set()
        t.join()
        print(f"four uploads at once: {wall:.2f} s wall, each {', '.join(f'{r[0]:.2f}' for r in results)} s")
        print("serverTime, during them:  ", summary(loaded))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
