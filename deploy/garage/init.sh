#!/bin/sh
# Prepares a fresh single-node Garage for Soundroom through its admin API (v2): assigns the
# node a role, applies the layout, imports the access key Soundroom uses and creates the bucket
# it may read and write. Safe to run again: what exists already is left as it is.
#
# Needs: curl, sed, tr. Environment: GARAGE_ADMIN (e.g. http://garage:3903), GARAGE_ADMIN_TOKEN,
# S3_BUCKET, AWS_ACCESS_KEY_ID (GK and 24 hex digits), AWS_SECRET_ACCESS_KEY (64 hex digits).
set -eu

api() {
  method=$1 path=$2
  shift 2
  # Compacted to one line for sed; a failed request fails the call.
  out=$(curl -fsS -X "$method" -H "Authorization: Bearer $GARAGE_ADMIN_TOKEN" \
    -H 'Content-Type: application/json' "$@" "$GARAGE_ADMIN/v2/$path") || return 1
  printf '%s\n' "$out" | tr -d ' \t\r\n'
}

tries=0
until status=$(api GET GetClusterStatus 2>/dev/null); do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "garage admin API not reachable at $GARAGE_ADMIN" >&2; exit 1; }
  sleep 1
done
node=$(printf '%s\n' "$status" | sed -n 's/.*"nodes":\[{"id":"\([0-9a-f]*\)".*/\1/p')
[ -n "$node" ] || { echo "no node id in: $status" >&2; exit 1; }

layout=$(api GET GetClusterLayout)
if printf '%s' "$layout" | grep -q '"version":0'; then
  api POST UpdateClusterLayout \
    -d "{\"roles\":[{\"id\":\"$node\",\"zone\":\"dc1\",\"capacity\":10000000000,\"tags\":[]}]}" >/dev/null
  api POST ApplyClusterLayout -d '{"version":1}' >/dev/null
  echo "layout applied to node $node"
fi

if ! api GET "GetKeyInfo?id=$AWS_ACCESS_KEY_ID" >/dev/null 2>&1; then
  api POST ImportKey -d "{\"accessKeyId\":\"$AWS_ACCESS_KEY_ID\",\"secretAccessKey\":\"$AWS_SECRET_ACCESS_KEY\",\"name\":\"soundroom\"}" >/dev/null
  echo "key $AWS_ACCESS_KEY_ID imported"
fi

if ! bucket=$(api GET "GetBucketInfo?globalAlias=$S3_BUCKET" 2>/dev/null); then
  bucket=$(api POST CreateBucket -d "{\"globalAlias\":\"$S3_BUCKET\"}")
  echo "bucket $S3_BUCKET created"
fi
bucket_id=$(printf '%s\n' "$bucket" | sed -n 's/^{"id":"\([0-9a-f]*\)".*/\1/p')
[ -n "$bucket_id" ] || { echo "no bucket id in: $bucket" >&2; exit 1; }
api POST AllowBucketKey -d "{\"bucketId\":\"$bucket_id\",\"accessKeyId\":\"$AWS_ACCESS_KEY_ID\",\"permissions\":{\"read\":true,\"write\":true,\"owner\":true}}" >/dev/null
echo "garage ready: bucket $S3_BUCKET for key $AWS_ACCESS_KEY_ID"
