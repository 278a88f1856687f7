#!/usr/bin/env bash
# Installs the Debian packages that the tests, the demo and the benchmarks run, only those missing. Idempotent; needs
# root (or sudo). Packages are installed without their recommendations, so whatever a package only recommends and we
# run is named here too (podman's pause binary, for one).
#
#   scripts/deps.sh            install every package below
#   scripts/deps.sh demo       install only what scripts/demo.sh needs
#   scripts/deps.sh --list     print every package, one line, space-separated, and do nothing else
set -euo pipefail

# What scripts/demo.sh (and every image test) needs: build the images and play pods.
demo=(
  # containers: podman with runc, base images made with debootstrap, compose through podman's Docker API
  podman runc debootstrap docker-compose uidmap
  # podman only recommends a pause binary (catatonit | tini | dumb-init), and `podman kube play` cannot start a pod
  # without one: "building local pause image: finding pause binary"
  catatonit
  # NativeAOT publishing links with clang
  clang zlib1g-dev
  curl git
)

# What the tests drive for real, beyond the demo's.
tests=(
  procps python3 chromium prometheus openssl util-linux
  # config-sync's diffs are checked by the tools that consume and compare them; tar archives come from GNU tar
  patch diffutils tar
  # TLS clients and audits for https-terminator
  sslscan nghttp2-client
  # peers compared side by side
  redis-server prometheus-redis-exporter nginx
  # git-sync over ssh: a real sshd serving git-upload-pack, and the client libgit2 runs
  openssh-server openssh-client
  # an independent msgpack decoder and packer for the Forward-protocol tests (run with /usr/bin/python3)
  python3-msgpack
  # log-normalizer: files rotated by the real logrotate (copytruncate and create)
  logrotate
)

# The benchmarks' clients and the TLS peer they run beside nginx.
bench=(
  wrk hitch
  # the Forward client's peer, fluent-logger-golang (Docker's fluentd driver), built from Debian's Go sources
  golang-go golang-github-fluent-fluent-logger-golang-dev
)

case "${1:-}" in
  --list)
    echo "${demo[*]} ${tests[*]} ${bench[*]}"
    exit 0
    ;;
  demo) packages=("${demo[@]}") ;;
  "") packages=("${demo[@]}" "${tests[@]}" "${bench[@]}") ;;
  *)
    echo "usage: scripts/deps.sh [demo | --list]" >&2
    exit 2
    ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "installing: ${missing[*]}"
# Packaged daemons (redis, prometheus, the exporter) must not start on their default ports: tests start their own.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod +x "$policy"
  created_policy=1
fi
trap '[ $created_policy -eq 1 ] && "${sudo[@]}" rm -f "$policy"' EXIT
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
