#!/usr/bin/env bash
# Runs the demo: unmodified apps with the sidecars beside them, in Pods played by podman: nginx with topz
# (compose/k8s/topz.yaml), Redis with redis-exporter (compose/k8s/redis-exporter.yaml) and nginx behind
# https-terminator (compose/k8s/https-terminator.yaml, with its demo certificate).
#
#   scripts/demo.sh          build the images (cached) and (re)start the demo pods, then print their URLs
#   scripts/demo.sh down     stop and remove the demo pods
#
# Needs root (podman rootful, debootstrap) and the .NET 10 SDK; installs podman, runc and debootstrap when missing.
# DEMO_HOST_IP (default 127.0.0.1) is where the pod's ports are published; 0.0.0.0 shows it to the network.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF="$root/scripts/containers.conf"

# One line a pod: its name, its manifest in compose/k8s, the sidecar's container and its admin port (/readyz), then
# any other port of it published on the host.
# Three pods rather than one nginx with both sidecars: each manifest stays the one users get, played as it is.
pods=(
  "topz-demo topz.yaml topz 9403"
  "redis-exporter-demo redis-exporter.yaml redis-exporter 9121"
  "https-terminator-demo https-terminator.yaml https-terminator 9401 8443"
)
host_ip=${DEMO_HOST_IP:-127.0.0.1}
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

# The manifest users get, with what only this machine needs: the apps built locally (nginx, redis) and loopback-only
# hostPorts. Arguments: the manifest's file name in compose/k8s, the sidecar's ports.
write_manifest() {
  local source="$root/compose/k8s/$1" manifest="$root/artifacts/demo/$1" port
  shift
  mkdir -p "$(dirname "$manifest")"
  local edits=(-e 's#image: nginx:[^ ]+#image: localhost/sidecars-nginx:bookworm#'
    -e 's#image: redis:[^ ]+#image: localhost/sidecars-redis:bookworm#')
  for port in "$@"; do
    edits+=(-e "s#^([ ]*)hostPort: $port\$#\\1hostPort: $port\\n\\1hostIP: $host_ip#")
  done
  sed -E "${edits[@]}" "$source" >"$manifest"
  grep -q 'image: localhost/sidecars-' "$manifest" || die "no 'image: nginx:...' or 'image: redis:...' line in $source"
  for port in "$@"; do
    grep -q "hostPort: $port\$" "$manifest" || die "no 'hostPort: $port' line in $source"
  done
  grep -q "hostIP: $host_ip" "$manifest" || die "no hostPort line in $source"
  if grep -q '^kind: Secret$' "$manifest"; then
    secret_as_directory "$manifest"
  fi
}

# podman 4.3 (Debian 12's) writes the files of a Secret volume still base64-encoded, and keeps the Secret after
# `kube down`: the Secret document's files are written to a directory beside the manifest, and the Pod mounts that
# directory (hostPath) instead. The Secret must be the first document, the Pod the second.
secret_as_directory() {
  local manifest=$1 dir key value
  dir="${manifest%.yaml}-tls"
  rm -rf "$dir"
  mkdir -p -m 0755 "$dir"
  for key in tls.crt tls.key; do
    value=$(sed -n "1,/^---\$/s/^  ${key//./\\.}: *\([^ ]*\)\$/\1/p" "$manifest")
    [[ -n "$value" ]] || die "no '$key:' in the Secret of $manifest"
    # The terminator runs as 1654 and reads them through the bind mount; the demo key is public anyway.
    base64 -d <<<"$value" >"$dir/$key"
    chmod 0644 "$dir/$key"
  done
  awk -v dir="$dir" '
    !pod { if ($0 == "---") pod = 1; next }
    skip && match($0, /^ */) && RLENGTH > indent { next }
    { skip = 0 }
    /^ +secret:$/ { match($0, /^ */); indent = RLENGTH; skip = 1
      pad = sprintf("%*s", indent, "")
      print pad "hostPath:"; print pad "  path: " dir; print pad "  type: Directory"; next }
    { print }
  ' "$manifest" >"$manifest.pod"
  mv "$manifest.pod" "$manifest"
  grep -q "path: $dir" "$manifest" || die "no 'secret:' volume in $manifest"
}

# Removes the demo pods that exist.
down() {
  local line pod file container port extra removed=0
  for line in "${pods[@]}"; do
    read -r pod file container port extra <<<"$line"
    podman pod exists "$pod" || continue
    # shellcheck disable=SC2086 # extra: a list of ports
    [[ -f "$root/artifacts/demo/$file" ]] || write_manifest "$file" "$port" $extra
    podman_quiet kube down "$root/artifacts/demo/$file"
    log "$pod removed"
    removed=$((removed + 1))
  done
  [[ $removed -gt 0 ]] || log "no demo pod is running"
}

case "${1:-up}" in
  down)
    command -v podman >/dev/null || exit 0
    down
    exit 0
    ;;
  up) ;;
  *) die "usage: scripts/demo.sh [down]" ;;
esac

"$root/scripts/deps.sh" demo || die "could not install the packages the demo needs (scripts/deps.sh demo)"
command -v dotnet >/dev/null || die "the .NET 10 SDK is needed"

"$root/scripts/images.sh" --local-base

down
for line in "${pods[@]}"; do
  read -r pod file container port extra <<<"$line"
  # shellcheck disable=SC2086 # extra: a list of ports
  write_manifest "$file" "$port" $extra
  log "playing artifacts/demo/$file"
  podman_quiet kube play "$root/artifacts/demo/$file"
done

for line in "${pods[@]}"; do
  read -r pod file container port extra <<<"$line"
  log "waiting for $container to be ready"
  ready=false
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null --max-time 2 "http://$url_host:$port/readyz" 2>/dev/null; then
      ready=true
      break
    fi
    sleep 0.5
  done
  if ! $ready; then
    podman ps -a --pod --filter pod="$pod" >&2 || true
    podman logs "$pod-$container" >&2 || true
    die "$container did not become ready within 60 s (see its logs above); scripts/demo.sh down removes the pods"
  fi
done

cat <<EOF

The demo pods are running: nginx, unmodified, with topz beside it in one PID namespace; Redis, unmodified, with
redis-exporter beside it on the pod's localhost; another unmodified nginx behind https-terminator (HTTPS and HTTP/2,
with the manifest's demo certificate, written to artifacts/demo/https-terminator-tls/).

  http://$url_host:9403/                    topz's live page
  http://$url_host:9403/topz                the processes as text, like top
  http://$url_host:9403/topz?format=json    the same as JSON
  http://$url_host:9403/metrics             topz's Prometheus metrics
  http://$url_host:9121/metrics             Redis' metrics from redis-exporter (redis_up, redis_commands_total, ...)
  https://$url_host:8443/                   nginx over HTTPS (and HTTP/2) through https-terminator, with the demo certificate:
      curl --cacert $root/artifacts/demo/https-terminator-tls/tls.crt https://$url_host:8443/
  http://$url_host:9401/metrics             https-terminator's metrics (requests, handshakes, certificate expiry)
  http://$url_host:9403/healthz, /readyz    probes (the same on 9121 for redis-exporter, 9401 for https-terminator)

  podman logs topz-demo-topz                          topz's logs (topz-demo-app: nginx's)
  podman logs redis-exporter-demo-redis-exporter      the exporter's logs (redis-exporter-demo-redis: Redis')
  podman logs https-terminator-demo-https-terminator  the terminator's logs (https-terminator-demo-app: nginx's)
  scripts/demo.sh down                                stop and remove the pods
EOF
