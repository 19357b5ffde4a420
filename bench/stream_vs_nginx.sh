#!/usr/bin/env bash
# Throughput of GET /stream/{id} against nginx serving the same file on this machine.
# Needs (Debian): nginx, wrk, ffmpeg, curl, jq-free (python3 parses JSON). Build first:
#   cargo build --release
# usage: bench/stream_vs_nginx.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-15}
conns=${2:-64}
work=$(mktemp -d)
port=18080
nginx_port=18081
trap 'kill $server 2>/dev/null || true; nginx -c "$work/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$work"' EXIT

# A 5 MB MP3 (320 kbit/s noise, ~2 min).
ffmpeg -v error -f lavfi -i "anoisesrc=d=125:a=0.3" -ac 2 -b:a 320k "$work/five.mp3"
size=$(stat -c %s "$work/five.mp3")

DATA_DIR="$work/data" PORT=$port RATE_LIMIT=off RUST_LOG=error ./target/release/soundroom 2>/dev/null &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done

gql() { curl -fs "http://127.0.0.1:$port/graphql" -H 'content-type: application/json' ${TOKEN:+-H "authorization: Bearer $TOKEN"} -d "$1"; }
TOKEN=$(gql '{"query":"mutation { register(input: {email: \"bench@example.com\", username: \"bench\", password: \"correct horse battery\"}) { accessToken } }"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["register"]["accessToken"])')
artist=$(gql '{"query":"mutation { createArtist(input: {name: \"Bench\"}) { id } }"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["createArtist"]["id"])')
url=$(curl -fs "http://127.0.0.1:$port/graphql" -H "authorization: Bearer $TOKEN" \
  -F operations="{\"query\":\"mutation(\$i: UploadTrackInput!, \$f: Upload!) { uploadTrack(input: \$i, file: \$f) { id streamUrl } }\",\"variables\":{\"i\":{\"artistId\":\"$artist\"},\"f\":null}}" \
  -F map='{"0":["variables.f"]}' -F 0=@"$work/five.mp3" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["uploadTrack"]["streamUrl"])')
track_file=$(ls "$work/data/media" | grep -v '^\.' | head -1)

mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<CONF
user root;
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nodelay on;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$nginx_port;
    location /stream/ { alias $work/data/media/; default_type audio/mpeg; }
  }
}
CONF
nginx -c "$work/nginx.conf"
for u in "http://127.0.0.1:$port$url" "http://127.0.0.1:$nginx_port/stream/$track_file"; do
  code=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "$u")
  [ "$code" = "200 $size" ] || { echo "sanity check failed for $u: $code"; exit 1; }
done

echo "file: $size bytes; $conns connections, ${secs}s each"
for target in "soundroom http://127.0.0.1:$port$url" "nginx http://127.0.0.1:$nginx_port/stream/$track_file"; do
  set -- $target
  echo "== $1: whole file"
  wrk -t2 -c"$conns" -d"${secs}s" "$2" | grep -E "Requests/sec|Transfer/sec|Latency|requests in"
  echo "== $1: random 64 KiB ranges"
  SIZE=$size wrk -t2 -c"$conns" -d"${secs}s" -s bench/random_range.lua "$2" | grep -E "Requests/sec|Transfer/sec|Latency|requests in|Non-2xx"
done
