#!/usr/bin/env bash
# Installs the system packages the demo and the tests need, only those missing. Idempotent; needs root (or sudo).
set -euo pipefail

packages=(
  # containers: podman with runc, a base image made with debootstrap, compose through podman's Docker API
  podman runc debootstrap docker-compose uidmap
  # podman only recommends a pause binary, and `podman kube play` cannot start a pod without one
  catatonit
  # tools the tests drive for real
  curl procps git python3 chromium prometheus openssl util-linux
  # TLS clients and audits for https-terminator
  sslscan nghttp2-client
  # NativeAOT publishing links with clang
  clang zlib1g-dev
  # peers compared side by side
  redis-server prometheus-redis-exporter nginx
  # the benchmarks' clients and the TLS peer they run beside nginx
  wrk hitch
)

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
