#!/usr/bin/env bash
# Build the production image from Containerfile (dependencies from uv.lock) and prove it: migrate a
# PostgreSQL database with it, serve the API from it in production mode, answer /healthz and /readyz,
# and stop cleanly on SIGTERM.
#
#   scripts/image-check.sh                      # what CI runs (root; podman from Debian's packages)
#   BAYFIN_IMAGE_BASE=docker.io/library/python:3.11-slim-bookworm scripts/image-check.sh
#
# Where no container registry can be reached (this project's CI reaches only the package registries),
# the base image is a Debian bookworm root made with debootstrap from the machine's own apt mirror and
# imported into podman; it is cached under $BAYFIN_IMAGE_CACHE (outside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1m[image]\033[0m %s\n' "$*" >&2; }
started=$(date +%s)
CACHE=${BAYFIN_IMAGE_CACHE:-/var/tmp/bayfin-image}
TAG=${BAYFIN_IMAGE_TAG:-localhost/bayfin:check}
PORT=${BAYFIN_IMAGE_PORT:-18765}
PGURL=${BAYFIN_IMAGE_PG:-postgresql://postgres@127.0.0.1:5432}
DB=bayfin_image_check

need() { command -v "$1" >/dev/null 2>&1; }
if ! need podman || ! need runc || ! need debootstrap; then
  log "installing podman, runc and debootstrap from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
fi
# This machine kind runs under a hybrid cgroup layout and forbids raising rlimits: crun refuses both,
# runc with no default ulimits works. The settings live in a private containers.conf for this run.
mkdir -p "$CACHE"
cat >"$CACHE/containers.conf" <<'EOF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
export CONTAINERS_CONF="$CACHE/containers.conf"

BASE=${BAYFIN_IMAGE_BASE:-}
if [ -z "$BASE" ]; then
  BASE=localhost/bayfin-base:bookworm-v2
  if ! podman image exists "$BASE"; then
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$mirror" ] || { log "no Debian mirror found in the apt sources"; exit 1; }
    log "debootstrap bookworm into $CACHE/rootfs (first run only)"
    rm -rf "$CACHE/rootfs"
    debootstrap --variant=minbase --include=python3,python3-venv,libgomp1,ca-certificates \
      bookworm "$CACHE/rootfs" "$mirror" >/dev/null
    rm -rf "$CACHE"/rootfs/var/cache/apt/archives/*.deb "$CACHE"/rootfs/var/lib/apt/lists/*
    # The base trusts what this machine trusts (a site CA in front of the package registries, as a
    # bank's egress proxy would have), so the build stage can reach PyPI the same way the host does.
    cp /etc/ssl/certs/ca-certificates.crt "$CACHE/rootfs/etc/ssl/certs/ca-certificates.crt"
    tar -C "$CACHE/rootfs" -c . | podman import --quiet - "$BASE" >/dev/null
    rm -rf "$CACHE/rootfs"
  fi
fi
based=$(date +%s)

log "building $TAG on $BASE"
podman build --quiet --format docker --isolation chroot --network host --build-arg "BASE=$BASE" -t "$TAG" -f Containerfile . >/dev/null
built=$(date +%s)
log "image size: $(podman image inspect "$TAG" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"

psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
name=bayfin-image-check-$$
cleanup() {
  podman rm -f "$name" >/dev/null 2>&1 || true
  [ -n "${keys:-}" ] && rm -rf "$keys"
  psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
secret=$(head -c 48 /dev/urandom | base64 | tr -d '/+=' | head -c 48)
envs=(-e "BAYFIN_DATABASE_URL=${PGURL/postgresql:/postgresql+psycopg:}/$DB" -e "BAYFIN_AUDIT_KEY=$secret"
      -e "BAYFIN_ISSUER=https://bayfin.example" -e "BAYFIN_API_PORT=$PORT" -e BAYFIN_API_HOST=127.0.0.1)

# Production never creates a signing key set by itself: it is provisioned like any secret. Make one
# with the image (as an operator would) and mount it read-only.
keys=$(mktemp -d /var/tmp/bayfin-image-keys.XXXXXX)
chown 10001 "$keys"
podman run --rm --network none -v "$keys:/keys" -e BAYFIN_ENVIRONMENT=development "$TAG" \
  auth keygen --out /keys/jwks.json >/dev/null
envs+=(-v "$keys:/keys:ro" -e BAYFIN_JWKS_FILE=/keys/jwks.json)

log "migrating with the image"
podman run --rm --network host "${envs[@]}" "$TAG" db upgrade
log "serving the API from the image on 127.0.0.1:$PORT"
podman run -d --name "$name" --health-cmd none --network host "${envs[@]}" "$TAG" api serve --workers 1 --port "$PORT" >/dev/null
ok=""
for _ in $(seq 1 90); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then ok=1; break; fi
  if [ "$(podman inspect -f '{{.State.Running}}' "$name")" != "true" ]; then break; fi
  sleep 1
done
if [ -z "$ok" ]; then
  log "the API in the image never answered /healthz"; podman logs "$name" | tail -40 >&2; exit 1
fi
ready=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")
log "/healthz 200, /readyz $ready"
if [ "$ready" != 200 ]; then
  curl -sS "http://127.0.0.1:$PORT/readyz" >&2 || true; exit 1
fi
podman exec "$name" python3 -c "import lightgbm, onnxruntime, bayfin.voice.embedder as e; e.OnnxDvectorEmbedder()" \
  || { log "the image cannot load LightGBM or the voice embedder"; exit 1; }
log "SIGTERM: the API must drain and exit 0"
podman stop --time 20 "$name" >/dev/null
code=$(podman inspect -f '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || { log "the API exited $code on SIGTERM"; podman logs "$name" | tail -20 >&2; exit 1; }
finished=$(date +%s)
log "base $((based - started)) s, build $((built - based)) s, checks $((finished - built)) s: image OK"
