#!/usr/bin/env python3
"""Soundroom against the framework's floor and nginx, measured side by side in one run.

Starts, on free 127.0.0.1 ports: the release build of Soundroom (SQLite in a fresh DATA_DIR,
RATE_LIMIT=off), a second one with RATE_LIMIT=on (every request counted, the per-client count
raised so that wrk is never refused), the bare async-graphql server of bench/bare/ (built on
first use) and nginx serving the same 5 MiB WAV with sendfile. Then runs `wrk -t2 -c64` rounds
interleaved over the targets and prints medians and ratios:

  a  POST { serverTime }                      soundroom, soundroom RATE_LIMIT=on, bare
  b  POST track(id) { id name durationMs artist { id name } }   soundroom (req/s per CPU-second)
  c  GET a 64 KiB Range of /stream            soundroom, nginx
  d  GET the whole 5 MiB file                 soundroom, nginx
  e  { serverTime } latency while 50 clients sign in over and over (argon2 hashing)

and idle memory. Every process it starts is stopped by its pid at the end.

usage: cargo build --release && bench/ratios.py
env:   ROUNDS (3)  DURATION (10s)  CONNS (64)  TESTS (abcde)  PACE_MS (10)  BARE_TARGET_DIR (target/bare)
       SOUNDROOM_BIN (target/release/soundroom)
Needs: wrk, nginx, curl (Debian: apt-get install wrk nginx-light curl).
"""

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
DURATION = os.environ.get("DURATION", "10s")
CONNS = os.environ.get("CONNS", "64")
TESTS = os.environ.get("TESTS", "abcde")
PACE_MS = int(os.environ.get("PACE_MS", "10"))
FILE_BYTES = 5 * 1024 * 1024
RANGE = "bytes=1000000-1065535"
HZ = os.sysconf("SC_CLK_TCK")
SERVER_TIME = '{"query":"{ serverTime }"}'
TRACK_QUERY = ('{"query":"query Track($id: UUID!) { track(id: $id) { id name durationMs '
               'artist { id name } } }","variables":{"id":"%s"}}')

started = []


def stop_all():
    for p in started:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in started:
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd, env=None, log=None):
    p = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=log or subprocess.DEVNULL,
                         stderr=subprocess.STDOUT)
    started.append(p)
    return p


def wait_for(url, what):
    for _ in range(600):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            time.sleep(0.05)
    sys.exit(f"{what} did not come up at {url}")


def gql(base, query, variables=None, token=None):
    req = urllib.request.Request(base + "/graphql", json.dumps({"query": query, "variables": variables or {}}).encode(),
                                 {"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})})
    body = json.load(urllib.request.urlopen(req, timeout=30))
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]


def write_wav(path):
    data_len = FILE_BYTES - 44
    header = (b"RIFF" + (36 + data_len).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
              + (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + (44100).to_bytes(4, "little")
              + (88200).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
              + b"data" + data_len.to_bytes(4, "little"))
    noise = bytearray(os.urandom(data_len))
    noise[1::2] = bytes((b & 0x07) | (0xF8 if b & 0x80 else 0) for b in noise[1::2])  # quiet samples
    with open(path, "wb") as f:
        f.write(header + noise)


def cpu_seconds(pid):
    total = 0
    pids = [pid] + [int(c) for c in subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                                                   text=True).stdout.split()]
    for p in pids:
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / HZ


def rss_mib(pid):
    total = 0
    pids = [pid] + [int(c) for c in subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                                                   text=True).stdout.split()]
    for p in pids:
        for line in open(f"/proc/{p}/status"):
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def wrk(url, pid, body=None, headers=(), duration=DURATION, pace_ms=None):
    cmd = ["wrk", "-t2", f"-c{CONNS}", f"-d{duration}", "--latency"]
    env = dict(os.environ)
    if pace_ms is not None:
        env["WRK_DELAY_MS"] = str(pace_ms)
    if body is not None:
        cmd += ["-s", os.path.join(ROOT, "bench", "post.lua")]
        env["WRK_BODY"] = body
    for h in headers:
        cmd += ["-H", h]
    c0 = cpu_seconds(pid)
    out = subprocess.run(cmd + [url], capture_output=True, text=True, env=env).stdout
    cpu = cpu_seconds(pid) - c0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    secs = float(re.match(r"([\d.]+)", duration).group(1))
    return {"rps": rps, "p99": ms(*p99.groups()) if p99 else float("nan"), "cpu": cpu / secs,
            "non2xx": int(non2xx.group(1)) if non2xx else 0}


def interleaved(name, targets):
    """targets: label -> (url, pid, body, headers). Warm-up, then ROUNDS rounds; medians."""
    for label, (url, pid, body, headers) in targets.items():
        wrk(url, pid, body, headers, "2s")
    runs = {label: [] for label in targets}
    for r in range(1, ROUNDS + 1):
        for label, (url, pid, body, headers) in targets.items():
            res = wrk(url, pid, body, headers)
            runs[label].append(res)
            print(f"  {name:<22} round {r} {label:<22} {res['rps']:>10.0f} req/s  p99 {res['p99']:7.2f} ms"
                  f"  server CPU {res['cpu'] * 100:4.0f} %" + (f"  NON-2xx {res['non2xx']}" if res["non2xx"] else ""))
    return {label: {k: statistics.median(x[k] for x in rs) for k in ("rps", "p99", "cpu")}
            for label, rs in runs.items()}


def main():
    binary = os.environ.get("SOUNDROOM_BIN", os.path.join(ROOT, "target", "release", "soundroom"))
    if not os.access(binary, os.X_OK):
        sys.exit("build first: cargo build --release")
    for tool in ("wrk", "nginx", "curl"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found (Debian: apt-get install wrk nginx-light curl)")
    bare_target = os.environ.get("BARE_TARGET_DIR", os.path.join(ROOT, "target", "bare"))
    bare_bin = os.path.join(bare_target, "release", "bare-async-graphql")
    if not os.access(bare_bin, os.X_OK):
        print("building bench/bare (release) ...")
        subprocess.run(["cargo", "build", "--release", "--manifest-path", os.path.join(ROOT, "bench", "bare", "Cargo.toml")],
                       env={**os.environ, "CARGO_TARGET_DIR": bare_target}, check=True)
    work = tempfile.mkdtemp(prefix="soundroom-ratios-")
    try:
        run(binary, bare_bin, work)
    finally:
        stop_all()
        shutil.rmtree(work, ignore_errors=True)


def run(binary, bare_bin, work):
    www = os.path.join(work, "www")
    os.makedirs(www)
    os.chmod(work, 0o755)
    wav = os.path.join(www, "5mb.wav")
    write_wav(wav)
    os.chmod(www, 0o755)
    os.chmod(wav, 0o644)

    nginx_port = free_port()
    os.makedirs(os.path.join(work, "nginx"))
    conf = os.path.join(work, "nginx", "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 2; pid {work}/nginx/nginx.pid; error_log {work}/nginx/error.log warn; daemon off;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; keepalive_requests 1000000; default_type application/octet-stream;
  client_body_temp_path {work}/nginx; proxy_temp_path {work}/nginx; fastcgi_temp_path {work}/nginx;
  uwsgi_temp_path {work}/nginx; scgi_temp_path {work}/nginx;
  server {{ listen 127.0.0.1:{nginx_port}; root {www}; location ~ \\.wav$ {{ types {{ audio/wav wav; }} }} }} }}
""")
    nginx = start(["nginx", "-c", conf, "-e", f"{work}/nginx/error.log"])
    wait_for(f"http://127.0.0.1:{nginx_port}/5mb.wav", "nginx")

    bare_port = free_port()
    bare = start([bare_bin], {"PORT": str(bare_port)})
    wait_for(f"http://127.0.0.1:{bare_port}/health", "bare async-graphql")

    def soundroom(tag, extra):
        port = free_port()
        env = {"DATA_DIR": os.path.join(work, tag), "PORT": str(port), "HOST": "127.0.0.1", "RUST_LOG": "warn",
               **extra}
        t0 = time.monotonic()
        p = start([binary], env, open(os.path.join(work, f"{tag}.log"), "w"))
        wait_for(f"http://127.0.0.1:{port}/health", f"soundroom ({tag})")
        return p, f"http://127.0.0.1:{port}", (time.monotonic() - t0) * 1000

    sr, base, startup = soundroom("off", {"RATE_LIMIT": "off"})
    limited, limited_base, _ = soundroom("on", {"RATE_LIMIT": "on",
                                                "RATE_LIMIT_REQUESTS_PER_CLIENT": "1000000000/60"})
    time.sleep(2)
    idle = {"soundroom": rss_mib(sr.pid), "bare": rss_mib(bare.pid), "nginx": rss_mib(nginx.pid)}

    password = "bench-Passw0rd-long-enough"
    token = gql(base, "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
                {"i": {"email": "bench@example.com", "username": "bench", "password": password}})["register"]["accessToken"]
    artist = gql(base, "mutation { createArtist(input: {name: \"Bench\"}) { id } }", token=token)["createArtist"]["id"]
    ops = json.dumps({"query": "mutation($i: UploadTrackInput!, $f: Upload!) { uploadTrack(input: $i, file: $f) { id streamUrl } }",
                      "variables": {"i": {"artistId": artist, "name": "Bench 5 MiB"}, "f": None}})
    out = subprocess.run(["curl", "-fs", base + "/graphql", "-H", f"authorization: Bearer {token}",
                          "-F", f"operations={ops}", "-F", 'map={"0":["variables.f"]}', "-F", f"0=@{wav};type=audio/wav"],
                         capture_output=True, text=True, check=True).stdout
    track = json.loads(out)["data"]["uploadTrack"]
    stream_url = base + track["streamUrl"]
    nginx_url = f"http://127.0.0.1:{nginx_port}/5mb.wav"
    for url in (stream_url, nginx_url):
        got = subprocess.run(["curl", "-s", "-o", "-", url], capture_output=True).stdout
        if got != open(wav, "rb").read():
            sys.exit(f"{url} does not answer the file byte for byte")

    print(f"ratios.py {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} on {os.cpu_count()} CPU(s); "
          f"wrk -t2 -c{CONNS} -d{DURATION} --latency, {ROUNDS} interleaved rounds, medians")
    results = {}
    if "a" in TESTS:
        results["a"] = interleaved("POST { serverTime }", {
            "soundroom": (base + "/graphql", sr.pid, SERVER_TIME, ()),
            "soundroom RATE_LIMIT=on": (limited_base + "/graphql", limited.pid, SERVER_TIME, ()),
            "bare": (f"http://127.0.0.1:{bare_port}/graphql", bare.pid, SERVER_TIME, ())})
    if "b" in TESTS:
        results["b"] = interleaved("POST track+artist", {
            "soundroom": (base + "/graphql", sr.pid, TRACK_QUERY % track["id"], ())})
    if "c" in TESTS:
        results["c"] = interleaved("GET 64 KiB Range", {
            "soundroom": (stream_url, sr.pid, None, (f"Range: {RANGE}",)),
            "nginx": (nginx_url, nginx.pid, None, (f"Range: {RANGE}",))})
    if "d" in TESTS:
        results["d"] = interleaved("GET full 5 MiB", {
            "soundroom": (stream_url, sr.pid, None, ()),
            "nginx": (nginx_url, nginx.pid, None, ())})
    if "e" in TESTS:
        results["e"] = logins_while_reading(base, sr.pid, password)

    print("\nsummary (medians)")
    if "a" in results:
        a = results["a"]
        print(f"  a {{ serverTime }}       soundroom {a['soundroom']['rps']:8.0f}  bare {a['bare']['rps']:8.0f}"
              f"  ratio {a['soundroom']['rps'] / a['bare']['rps']:.2f}x (goal >= 0.9x)")
        print(f"    RATE_LIMIT=on costs {100 * (1 - a['soundroom RATE_LIMIT=on']['rps'] / a['soundroom']['rps']):.1f} % (goal <= 10 %)")
    if "b" in results:
        b = results["b"]["soundroom"]
        print(f"  b track+artist         soundroom {b['rps']:8.0f} req/s at {b['cpu'] * 100:.0f} % CPU"
              f" ({b['rps'] / max(b['cpu'], 1e-9):.0f} per CPU-second)")
    for t, label in (("c", "64 KiB Range"), ("d", "full 5 MiB  ")):
        if t in results:
            r = results[t]
            print(f"  {t} {label}           soundroom {r['soundroom']['rps']:8.0f}  nginx {r['nginx']['rps']:8.0f}"
                  f"  ratio {r['soundroom']['rps'] / r['nginx']['rps']:.2f}x (goal >= {'0.7' if t == 'c' else '0.8'}x)")
    if "e" in results:
        e = results["e"]
        print(f"  e serverTime p99       {e['quiet']:.1f} ms alone, {e['busy']:.1f} ms while 50 clients sign in"
              f" ({e['logins']:.0f} sign-ins/s, {e['refused']} refused) (goal <= 5 ms)")
        print(f"    paced ({PACE_MS} ms per connection): {e['quiet_paced']:.1f} ms alone,"
              f" {e['busy_paced']:.1f} ms while they sign in")
    print(f"  idle RSS               soundroom {idle['soundroom']:.1f} MiB  bare {idle['bare']:.1f} MiB"
          f"  nginx {idle['nginx']:.1f} MiB (goal <= 25 MiB); soundroom start-up {startup:.0f} ms")


def logins_while_reading(base, pid, password):
    """p99 of { serverTime } alone, then while 50 threads sign in as fast as answered; each
    at saturation (wrk's connections send as fast as answered, so the p99 is mostly their own
    queue for the CPU) and paced (each connection waits PACE_MS after every answer: a fixed
    offered load well under capacity, so the p99 shows what waits behind the hashing)."""
    quiet = wrk(base + "/graphql", pid, SERVER_TIME, (), "5s")
    quiet_paced = wrk(base + "/graphql", pid, SERVER_TIME, (), "5s", PACE_MS)
    stop = threading.Event()
    counts = {"ok": 0, "refused": 0}
    body = json.dumps({"query": "mutation($i: LoginInput!) { login(input: $i) { __typename } }",
                       "variables": {"i": {"email": "bench@example.com", "password": password}}}).encode()

    def client():
        while not stop.is_set():
            req = urllib.request.Request(base + "/graphql", body, {"content-type": "application/json"})
            try:
                out = json.load(urllib.request.urlopen(req, timeout=60))
                counts["ok" if out.get("data") else "refused"] += 1
            except Exception:
                counts["refused"] += 1

    threads = [threading.Thread(target=client, daemon=True) for _ in range(50)]
    for t in threads:
        t.start()
    time.sleep(1)
    before = counts["ok"]
    t0 = time.monotonic()
    busy = wrk(base + "/graphql", pid, SERVER_TIME, (), "10s")
    busy_paced = wrk(base + "/graphql", pid, SERVER_TIME, (), "10s", PACE_MS)
    logins = (counts["ok"] - before) / (time.monotonic() - t0)
    stop.set()
    for t in threads:
        t.join(70)
    print(f"  serverTime p99 alone {quiet['p99']:.2f} ms; with 50 clients signing in {busy['p99']:.2f} ms "
          f"({busy['rps']:.0f} req/s, {logins:.0f} sign-ins/s)")
    print(f"  paced ({PACE_MS} ms between requests per connection): p99 alone {quiet_paced['p99']:.2f} ms "
          f"({quiet_paced['rps']:.0f} req/s); with 50 clients signing in {busy_paced['p99']:.2f} ms "
          f"({busy_paced['rps']:.0f} req/s)")
    return {"quiet": quiet["p99"], "busy": busy["p99"], "quiet_paced": quiet_paced["p99"],
            "busy_paced": busy_paced["p99"], "logins": logins, "refused": counts["refused"]}


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        stop_all()
        sys.exit(130)
