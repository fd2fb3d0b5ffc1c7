#!/usr/bin/env bash
# Prove bayfin on aarch64: build an arm64 Debian root with debootstrap, run it under qemu user-mode
# emulation, install bayfin and its dependencies there from the package registries, and run the
# test suite (SQLite, and the host's PostgreSQL/Redis/NATS/MQTT on loopback, shared with the chroot).
#
#   scripts/arm64-test.sh            # the whole suite (see docs/deploy.md for how long it takes)
#   scripts/arm64-test.sh smoke      # a quick subset (kernel + API basics)
#   ARM64_PYTEST_ARGS="tests/unit" scripts/arm64-test.sh   # any pytest selection
#   scripts/arm64-test.sh exec python -c '...'             # any command in /opt/bayfin, venv on PATH
#
# Needs root (debootstrap, chroot, binfmt_misc). Re-runs reuse the root under $ARM64_ROOT
# (default /var/tmp/bayfin-arm64/rootfs, outside the repository). Dependencies install from uv.lock,
# the same versions as the native run. The qemu-aarch64 binfmt handler is registered only for the run
# and removed again at exit when this script was the one that registered it.
#
# The emulated CPU is a Neoverse-N1 (AWS Graviton2, Ampere Altra; ARM64_QEMU_CPU to change it), not
# qemu's default "max": Debian 12's qemu 7.2 advertises SME on "max" and computes SME outer products
# wrongly, so onnxruntime's SME kernel gave the voice embedder wrong embeddings (docs/deploy.md).
#
# Tests talk to private Redis, NATS JetStream and Mosquitto servers that this script starts on free
# loopback ports for the run and stops at exit, so an arm64 run never shares keys, streams or topics
# with native test runs on the same machine (ARM64_SHARED_SERVICES=1 uses the host's instead).
# PostgreSQL is the host's: every test session creates and drops its own database there.
set -euo pipefail
# The body is one block, parsed whole before it runs: editing this file or switching branches during a
# run of hours cannot change the run.
{
cd "$(dirname "$0")/.."
HERE=$(pwd)
MODE=${1:-full}
ROOT=${ARM64_ROOT:-/var/tmp/bayfin-arm64/rootfs}
UV_VERSION=$(sed -n 's/^UV_VERSION := //p' Makefile)
SUITE=${ARM64_SUITE:-bookworm}
QEMU_CPU=${ARM64_QEMU_CPU:-neoverse-n1}
export QEMU_CPU  # read by every qemu-aarch64 the binfmt handler starts; passed on through each env -i
# What the suite needs besides Python: the voice tests' espeak-ng and sox, the restore check's pg_dump
# (postgresql-client). The console's browser tests use the host's Chromium (below), not one in the root.
PACKAGES=python3,python3-venv,python3-dev,gcc,g++,make,ca-certificates,libpq5,espeak-ng,sox,postgresql-client

log() { printf '\033[1m[arm64]\033[0m %s\n' "$*" >&2; }
started=$(date +%s)

need() { command -v "$1" >/dev/null 2>&1; }
# Was an arm64 handler registered before this run? (installing qemu-user-static registers one.)
registered_here=1
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && grep -q enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 && registered_here=""
services_dir=""
service_pids=()
cleanup() {
  for pid in "${service_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${service_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "$services_dir" ] && rm -rf "$services_dir"
  for m in dev/pts dev proc/cpuinfo proc sys; do umount -l "$ROOT/$m" 2>/dev/null || true; done
  # Leave the host as found: no arm64 handler stays registered machine-wide after the run.
  if [ -n "$registered_here" ] && [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    echo -1 > /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null || update-binfmts --disable qemu-aarch64 || true
  fi
}
trap cleanup EXIT
trap "exit 130" INT
trap "exit 143" TERM  # so the EXIT trap stops the private servers on a signal too
if ! need debootstrap || [ ! -x /usr/bin/qemu-aarch64-static ]; then
  log "installing qemu-user-static, debootstrap and binfmt-support from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static debootstrap binfmt-support >/dev/null
fi
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || ! grep -q enabled /proc/sys/fs/binfmt_misc/qemu-aarch64; then
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || update-binfmts --import qemu-aarch64
fi
grep -q enabled /proc/sys/fs/binfmt_misc/qemu-aarch64

# Use the same Debian mirror this machine's apt is configured with (never a hard-coded host).
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || { log "no Debian mirror found in the apt sources"; exit 1; }

if [ ! -f "$ROOT/.bootstrapped" ]; then
  log "debootstrap $SUITE arm64 into $ROOT (first run only)"
  rm -rf "$ROOT"
  mkdir -p "$ROOT"
  # One retry: a dropped download should not fail the proof.
  debootstrap --arch=arm64 --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOT" "$mirror" >/dev/null \
    || { log "debootstrap failed once; retrying"; rm -rf "$ROOT"; mkdir -p "$ROOT";
         debootstrap --arch=arm64 --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOT" "$mirror" >/dev/null; }
  touch "$ROOT/.bootstrapped"
fi
bootstrapped=$(date +%s)

mount --bind /proc "$ROOT/proc"
# qemu-user passes the host's /proc/cpuinfo through (an x86 CPU). Libraries that read the ARM
# feature list from it to pick kernels (onnxruntime's cpuinfo, behind the voice embedder) crash on
# an x86 description, so the root sees an aarch64 one instead: a Neoverse-N1 with its ARMv8.2
# features, the CPU qemu emulates here (QEMU_CPU above). A real arm64 machine needs none of this.
cpuinfo="$ROOT/../cpuinfo-aarch64"
for n in $(seq 0 $(($(nproc) - 1))); do
  printf 'processor\t: %s\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n\n' "$n"
done > "$cpuinfo"
mount --make-rprivate "$ROOT/proc"  # so the next mount stays in the root, never on the host's /proc
mount --bind "$cpuinfo" "$ROOT/proc/cpuinfo"
mount --bind /sys "$ROOT/sys"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"

# A root bootstrapped by an earlier version of this script may lack a package added to the list since.
missing=()
for package in ${PACKAGES//,/ }; do
  chroot "$ROOT" dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing into the root: ${missing[*]}"
  chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    /bin/sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null' sh "${missing[@]}"
fi

log "copying the working tree (tracked and unignored files) into the root"
rm -rf "$ROOT/opt/bayfin"
mkdir -p "$ROOT/opt/bayfin"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$ROOT/opt/bayfin"

case "$MODE" in
  smoke) selection=${ARM64_PYTEST_ARGS:-"tests/unit/kernel tests/integration/kernel tests/api/test_app_basics.py"} ;;
  *) selection=${ARM64_PYTEST_ARGS:-"tests"} ;;
esac

log "installing bayfin and its dependencies inside the arm64 root"
chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
  QEMU_CPU="$QEMU_CPU" \
  SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 UV_VERSION="$UV_VERSION" /bin/bash -euo pipefail -c '
    uname -m
    [ -x /opt/uv/bin/uv ] || { python3 -m venv /opt/uv && /opt/uv/bin/pip install --quiet "uv==$UV_VERSION"; }
    cd /opt/bayfin
    UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never \
      /opt/uv/bin/uv sync --locked --all-extras --python python3 --quiet
  '
installed=$(date +%s)

if [ "$MODE" = exec ]; then
  shift
  log "running $* under emulation"
  set +e
  chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/opt/venv/bin:/usr/bin:/bin LANG=C.UTF-8 QEMU_CPU="$QEMU_CPU" \
    /bin/bash -c 'cd /opt/bayfin && exec "$@"' exec "$@"
  status=$?
  exit $status
fi

# Private servers for the run (see the top of this file); the chroot shares the host's loopback.
free_ports() {  # $1 distinct loopback ports nothing listens on now (held open together while picked)
  python3 -c 'import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))' "$1"
}
wait_port() {  # until something listens on 127.0.0.1:$1, at most 30 s
  for _ in $(seq 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done
  log "nothing listens on port $1 ($2 did not start; see $services_dir)"; return 1
}
service_env=()
if [ -z "${ARM64_SHARED_SERVICES:-}" ]; then
  services_dir=$(mktemp -d /tmp/bayfin-arm64-services.XXXXXX)
  chmod 755 "$services_dir"  # mosquitto drops to its own user
  read -r redis_port nats_port mqtt_port <<<"$(free_ports 3)"
  redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --dir "$services_dir" \
    >"$services_dir/redis.log" 2>&1 &
  service_pids+=($!)
  nats-server -a 127.0.0.1 -p "$nats_port" -js -sd "$services_dir/nats" >"$services_dir/nats.log" 2>&1 &
  service_pids+=($!)
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mqtt_port" >"$services_dir/mosquitto.conf"
  mosquitto -c "$services_dir/mosquitto.conf" >"$services_dir/mosquitto.log" 2>&1 &
  service_pids+=($!)
  wait_port "$redis_port" redis-server || exit 1
  wait_port "$nats_port" nats-server || exit 1
  wait_port "$mqtt_port" mosquitto || exit 1
  service_env=(BAYFIN_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/15" BAYFIN_TEST_NATS_URL="nats://127.0.0.1:$nats_port"
               BAYFIN_TEST_MQTT_URL="mqtt://127.0.0.1:$mqtt_port")
  log "private servers: redis :$redis_port, nats :$nats_port (JetStream), mosquitto :$mqtt_port"
fi
[ -n "${BAYFIN_TEST_POSTGRES_URL:-}" ] && service_env+=(BAYFIN_TEST_POSTGRES_URL="$BAYFIN_TEST_POSTGRES_URL")
# The console's browser tests drive the arm64 server with the host's Chromium over the DevTools
# protocol: Chromium itself does not run under qemu-user (its processes die on a trap qemu cannot
# emulate), and the browser is the test's client, not what this run proves on arm64.
if [ -x /usr/bin/chromium ]; then
  [ -n "$services_dir" ] || services_dir=$(mktemp -d /tmp/bayfin-arm64-services.XXXXXX)
  read -r cdp_port <<<"$(free_ports 1)"
  /usr/bin/chromium --headless --no-sandbox --disable-gpu --remote-debugging-address=127.0.0.1 \
    --remote-debugging-port="$cdp_port" --user-data-dir="$services_dir/chromium" about:blank \
    >"$services_dir/chromium.log" 2>&1 &
  service_pids+=($!)
  wait_port "$cdp_port" chromium || exit 1
  service_env+=(BAYFIN_CHROMIUM_CDP="http://127.0.0.1:$cdp_port")
  log "the browser tests use the host's Chromium on :$cdp_port"
fi

log "running pytest $selection under emulation (QEMU_CPU=$QEMU_CPU)"
set +e
chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/opt/venv/bin:/usr/bin:/bin LANG=C.UTF-8 QEMU_CPU="$QEMU_CPU" \
  BAYFIN_REQUIRE_SERVICES="${BAYFIN_REQUIRE_SERVICES:-0}" "${service_env[@]}" /bin/bash -c "
    cd /opt/bayfin && python -c 'import platform; print(\"machine:\", platform.machine())' && env | grep ^BAYFIN_TEST_ ;
    python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile -o timeout=3000 $selection"
status=$?
set -e
finished=$(date +%s)
log "bootstrap $((bootstrapped - started)) s, install $((installed - bootstrapped)) s, tests $((finished - installed)) s, total $((finished - started)) s, exit $status"
exit $status
}
