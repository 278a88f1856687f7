#!/usr/bin/env bash
# Runs the demo: an unmodified nginx with the sidecars beside it, in one Pod played by podman.
#
#   scripts/demo.sh          build the images (cached) and (re)start the demo pod, then print its URLs
#   scripts/demo.sh down     stop and remove the demo pod
#
# Needs root (podman rootful, debootstrap) and the .NET 10 SDK; installs podman, runc and debootstrap when missing.
# DEMO_HOST_IP (default 127.0.0.1) is where the pod's ports are published; 0.0.0.0 shows it to the network.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF="$root/scripts/containers.conf"

manifest_source="$root/compose/k8s/topz.yaml"
manifest="$root/artifacts/demo/topz.yaml"
host_ip=${DEMO_HOST_IP:-127.0.0.1}
port=9403
url_host=$host_ip
[[ $url_host != 0.0.0.0 ]] || url_host=127.0.0.1

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'demo.sh: %s\n' "$*" >&2; exit 1; }

# Runs podman with its stderr shown, less what podman prints on every play and down where systemd does not run
# (containers, CI runners): it cannot create the probes' healthcheck timers, so they are simply not scheduled.
# Through a file, not a pipe: conmon inherits the caller's open descriptors, and a pipe held by it never closes.
podman_quiet() {
  local err rc=0
  err=$(mktemp)
  podman "$@" >/dev/null 2>"$err" || rc=$?
  grep -v -e 'unable to get systemd connection' -e 'failed to connect to syslog' "$err" >&2 || true
  rm -f "$err"
  return "$rc"
}

# The manifest users get, with what only this machine needs: the nginx built locally and a loopback-only hostPort.
write_manifest() {
  mkdir -p "$(dirname "$manifest")"
  sed -E \
    -e 's#image: nginx:[^ ]+#image: localhost/sidecars-nginx:bookworm#' \
    -e "s#^([ ]*)hostPort: $port\$#\\1hostPort: $port\\n\\1hostIP: $host_ip#" \
    "$manifest_source" >"$manifest"
  grep -q 'image: localhost/sidecars-nginx:bookworm' "$manifest" || die "no 'image: nginx:...' line in $manifest_source"
  grep -q "hostIP: $host_ip" "$manifest" || die "no 'hostPort: $port' line in $manifest_source"
}

down() {
  [[ -f "$manifest" ]] || write_manifest
  if podman pod exists topz-demo; then
    podman_quiet kube down "$manifest"
  fi
}

install_missing() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v curl >/dev/null || missing+=(curl)
  [[ ${#missing[@]} -gt 0 ]] || return 0
  [[ $(id -u) == 0 ]] || die "missing ${missing[*]}: run as root, or apt-get install -y ${missing[*]}"
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" ||
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; }
}

case "${1:-up}" in
  down)
    command -v podman >/dev/null || exit 0
    if podman pod exists topz-demo; then
      down
      log "demo pod removed"
    else
      log "no demo pod is running"
    fi
    exit 0
    ;;
  up) ;;
  *) die "usage: scripts/demo.sh [down]" ;;
esac

install_missing
command -v dotnet >/dev/null || die "the .NET 10 SDK is needed"

"$root/scripts/images.sh" --local-base

write_manifest
if podman pod exists topz-demo; then
  log "removing the previous demo pod"
  down
fi
log "playing $manifest"
podman_quiet kube play "$manifest"

log "waiting for topz to be ready"
ready=false
for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null --max-time 2 "http://$url_host:$port/readyz" 2>/dev/null; then
    ready=true
    break
  fi
  sleep 0.5
done
if ! $ready; then
  podman ps -a --pod --filter pod=topz-demo >&2 || true
  podman logs topz-demo-topz >&2 || true
  die "topz did not become ready within 60 s (see its logs above); scripts/demo.sh down removes the pod"
fi

cat <<EOF

The demo pod is running: nginx, unmodified, with topz beside it in one PID namespace.

  http://$url_host:$port/                    topz's live page
  http://$url_host:$port/topz                the processes as text, like top
  http://$url_host:$port/topz?format=json    the same as JSON
  http://$url_host:$port/metrics             Prometheus metrics
  http://$url_host:$port/healthz, /readyz    probes

  podman logs topz-demo-topz                 topz's logs (topz-demo-app: nginx's)
  scripts/demo.sh down                       stop and remove the pod
EOF
