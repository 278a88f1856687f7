#!/usr/bin/env bash
# Runs the demo: an unmodified nginx and an unmodified Redis with all six sidecars beside them, in one pod
# (compose/k8s/demo-pod.yaml played by podman; with Docker and no podman, compose/docker-compose.yml).
#
#   scripts/demo.sh          build the images (skipped when they are of this commit), make the demo repository,
#                            (re)start the pod, wait until every probe is ready, print what to open
#   scripts/demo.sh down     stop and remove the pod and its volumes
#
# Needs root (podman rootful, debootstrap) and the .NET 10 SDK; installs what else it needs (scripts/deps.sh demo).
# Environment: DEMO_HOST_IP (default 127.0.0.1: where the ports are published; 0.0.0.0 shows them to the network),
# LOG_FLUENTD_ADDR (host:port of a Fluentd: every sidecar sends its own log lines there too), FLUENTD_ADDR
# (log-normalizer ships its records there as well as printing them), DEMO_ENGINE (podman or docker; default podman
# when installed, or when no Docker engine answers).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF="$root/scripts/containers.conf"
demo="$root/artifacts/demo"
pod=sidecars-demo
manifest="$demo/demo-pod.yaml"
host_ip=${DEMO_HOST_IP:-127.0.0.1}
url_host=$host_ip
[[ $url_host != 0.0.0.0 ]] || url_host=localhost
images=(https-terminator config-sync topz git-sync redis-exporter log-normalizer)
# Each published port and what answers there: the port's owner, then the path that says it is ready.
ports=(
  "8443 https-terminator /"
  "9401 https-terminator /readyz"
  "9402 config-sync /readyz"
  "9403 topz /readyz"
  "9404 git-sync /readyz"
  "9405 log-normalizer /readyz"
  "9121 redis-exporter /readyz"
)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'demo.sh: %s\n' "$*" >&2; exit 1; }

# Docker only when asked for, or when a Docker engine answers and podman is not installed: a machine may well have the
# docker client without an engine (podman is then installed by scripts/deps.sh below).
if [[ -n "${DEMO_ENGINE:-}" ]]; then
  engine=$DEMO_ENGINE
elif ! command -v podman >/dev/null && command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  engine=docker
else
  engine=podman
fi
[[ $engine == podman || $engine == docker ]] || die "DEMO_ENGINE must be podman or docker, not '$engine'"

# docker compose v2, else docker-compose 1.29, for the Docker path.
compose() {
  local file=(-p "$pod" -f "$root/compose/docker-compose.yml")
  if docker compose version >/dev/null 2>&1; then docker compose "${file[@]}" "$@"; else docker-compose "${file[@]}" "$@"; fi
}

# Runs podman with its stderr shown, less what podman prints on every play and down where systemd does not run
# (containers, CI runners): it cannot create the probes' healthcheck timers, so they are simply not scheduled.
# Through a file, not a pipe: conmon inherits the caller's open descriptors, and a pipe held by it never closes.
podman_quiet() {
  local err rc=0
  err=$(mktemp)
  podman "$@" >/dev/null 2>"$err" || rc=$?
  # and, on play, its complaint about the init container it removed itself once it finished.
  grep -v -e 'unable to get systemd connection' -e 'failed to connect to syslog' \
    -e 'Removing container [0-9a-f]* from database: no container with ID' "$err" >&2 || true
  rm -f "$err"
  return "$rc"
}

# Removes the demo pod (and what podman made of its volumes) when it exists; true when there was one.
down() {
  if [[ $engine == docker ]]; then
    command -v docker >/dev/null || return 1
    [[ -n "$(docker ps -aq --filter "label=com.docker.compose.project=$pod")" ]] || return 1
    DEMO_REPOSITORY="$demo/repository" compose down -v >/dev/null
    return 0
  fi
  command -v podman >/dev/null || return 1
  podman pod exists "$pod" || return 1
  podman_quiet pod rm --force --time 5 "$pod"
  local volumes
  mapfile -t volumes < <(podman volume ls --quiet --filter "name=^$pod-")
  [[ ${#volumes[@]} -eq 0 ]] || podman_quiet volume rm --force "${volumes[@]}"
  return 0
}

case "${1:-up}" in
  down)
    if down; then log "the demo pod is removed"; else log "no demo pod is running"; fi
    exit 0
    ;;
  up) ;;
  *) die "usage: scripts/demo.sh [down]" ;;
esac

started=$(date +%s)
"$root/scripts/deps.sh" demo || die "could not install the packages the demo needs (scripts/deps.sh demo); install them, then run this again"
command -v dotnet >/dev/null || die "the .NET 10 SDK is needed (dotnet is not on PATH)"
command -v "$engine" >/dev/null || die "$engine is not installed"

# A port held by something else (not a demo pod this script replaces) fails the demo before anything starts. The
# compose file also publishes nginx's own port.
if ! down; then :; fi
[[ $engine == podman ]] || ports+=("8080 nginx /")
for line in "${ports[@]}"; do
  read -r port owner _ <<<"$line"
  if (exec 3<>"/dev/tcp/$url_host/$port") 2>/dev/null; then
    holder=$(ss -Hltnp "sport = :$port" 2>/dev/null | sed -n 's/.*users:((\("[^"]*"\).*/ by \1/p' | head -n 1)
    die "port $port (${owner}'s) is taken${holder}: stop what listens there, or run the demo on another address with DEMO_HOST_IP"
  fi
done

# The images: skipped when each is of this commit and nothing is changed, else built (incremental after the first time).
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
fresh=true
if [[ $revision == unknown || -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
  fresh=false
fi
for image in "${images[@]}"; do
  label=$("$engine" image inspect --format '{{index .Config.Labels "org.opencontainers.image.revision"}}' "sidecars/$image:latest" 2>/dev/null || true)
  [[ $label == "$revision" ]] || fresh=false
done
if [[ $engine == podman ]]; then
  for image in localhost/sidecars-nginx:bookworm localhost/sidecars-redis:bookworm; do
    podman image exists "$image" || fresh=false
  done
fi
if $fresh; then
  log "the images are of this commit ($revision): not rebuilt"
elif [[ $engine == podman ]]; then
  # No registry needed: the base and the stand-ins for nginx and Redis are made from Debian's packages.
  "$root/scripts/images.sh" --local-base --no-sizes "${images[@]}"
else
  CONTAINER_ENGINE=docker "$root/scripts/images.sh" --no-sizes "${images[@]}"
fi

# The demo site's repository, made afresh from compose/demo-site (one commit), and a clone of it to change the site.
rm -rf "$demo/repository" "$demo/site"
mkdir -p "$demo/repository"
git_demo=(git -c init.defaultBranch=main -c user.name="Sidecars demo" -c user.email=demo@sidecars.invalid -c commit.gpgsign=false)
"${git_demo[@]}" init --quiet --bare "$demo/repository/site.git"
"${git_demo[@]}" clone --quiet "$demo/repository/site.git" "$demo/site" 2>/dev/null
cp -r "$root/compose/demo-site/." "$demo/site/"
# The clone commits as the demo, whoever runs it (a machine may have no git identity set).
git -C "$demo/site" config user.name "Sidecars demo"
git -C "$demo/site" config user.email demo@sidecars.invalid
"${git_demo[@]}" -C "$demo/site" add --all
"${git_demo[@]}" -C "$demo/site" commit --quiet -m "The demo site"
"${git_demo[@]}" -C "$demo/site" push --quiet origin main
# git-sync (65533) reads it through the mount; config-sync (1654) reads the token.
chmod -R a+rX "$demo/repository"

token=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
rm -rf "$demo/token"
mkdir -p "$demo/token"
printf '%s' "$token" >"$demo/token/token"
chown -R 1654:1654 "$demo/token"
chmod 0500 "$demo/token"
chmod 0400 "$demo/token/token"

if [[ $engine == podman ]]; then
  # The manifest users get, with what only this machine needs: the stand-ins for nginx and Redis, the ports on
  # DEMO_HOST_IP, and host directories instead of the Secret (podman 4.3 writes its files base64-encoded), the
  # ConfigMap (kept after `kube down`; compose/nginx/nginx.conf is the same file) and the repository's placeholder path.
  mkdir -p "$demo/nginx"
  cp "$root/compose/nginx/nginx.conf" "$demo/nginx/nginx.conf"
  chmod -R a+rX "$demo/nginx"
  awk -v host_ip="$host_ip" -v token="$demo/token" -v nginx="$demo/nginx" -v repository="$demo/repository" \
    -v log_fluentd="${LOG_FLUENTD_ADDR:-}" -v fluentd="${FLUENTD_ADDR:-}" '
    # Only the Pod, the third document.
    /^---$/ { documents++; next }
    documents < 2 { next }
    # A volume whose source is replaced: skip its old source lines (indented deeper than its "- name:").
    skipping && /^      / { next }
    { skipping = 0 }
    /^    - name: (token|sidecars-demo-nginx|demo-repository)$/ && in_volumes {
      print
      name = $3
      path = name == "token" ? token : name == "demo-repository" ? repository : nginx
      print "      hostPath:"; print "        path: " path; print "        type: Directory"
      skipping = 1; replaced[name] = 1; next
    }
    /^  volumes:$/ { in_volumes = 1 }
    /image: nginx:/ { sub(/image: nginx:.*/, "image: localhost/sidecars-nginx:bookworm") }
    /image: redis:/ { sub(/image: redis:.*/, "image: localhost/sidecars-redis:bookworm") }
    /^ *hostPort: [0-9]+$/ { print; indent = $0; sub(/hostPort.*/, "", indent); print indent "hostIP: " host_ip; next }
    # Environment values given to this script.
    setting != "" && /^ *value: / { sub(/value: .*/, "value: \"" setting "\""); setting = "" }
    { setting = "" }
    /- name: LOG_FLUENTD_ADDR$/ && log_fluentd != "" { setting = log_fluentd }
    /- name: LOGNORM_FLUENTD_ADDR$/ && fluentd != "" { setting = fluentd }
    /- name: LOGNORM_OUTPUTS$/ && fluentd != "" { setting = "stdout,fluentd" }
    { print }
    END { if (length(replaced) != 3) { print "demo.sh: a volume of the manifest was not found" > "/dev/stderr"; exit 1 } }
  ' "$root/compose/k8s/demo-pod.yaml" >"$manifest"
  grep -q "hostIP: $host_ip" "$manifest" || die "no hostPort line in compose/k8s/demo-pod.yaml"
  log "playing artifacts/demo/demo-pod.yaml (compose/k8s/demo-pod.yaml for this machine)"
  podman_quiet kube play "$manifest" || die "podman kube play failed (above); scripts/demo.sh down removes what it left"
else
  log "starting compose/docker-compose.yml as the project $pod"
  CONFIGSYNC_TOKEN="$token" DEMO_REPOSITORY="$demo/repository" TERMINATOR_PORT="$host_ip:8443" \
    TERMINATOR_ADMIN_PORT="$host_ip:9401" CONFIG_SYNC_PORT="$host_ip:9402" TOPZ_PORT="$host_ip:9403" \
    GIT_SYNC_PORT="$host_ip:9404" LOG_NORMALIZER_PORT="$host_ip:9405" REDIS_EXPORTER_PORT="$host_ip:9121" \
    APP_PORT="$host_ip:8080" LOGNORM_OUTPUTS="${FLUENTD_ADDR:+stdout,fluentd}" \
    compose up -d >/dev/null || die "docker compose up failed (above); scripts/demo.sh down removes what it left"
fi

# Every probe ready: each sidecar's /readyz (which also means nginx and Redis answer them), and the site over HTTPS.
for line in "${ports[@]}"; do
  read -r port owner path <<<"$line"
  scheme=http
  [[ $port != 8443 ]] || scheme=https
  ready=false
  for _ in $(seq 1 240); do
    if curl -fsSk -o /dev/null --max-time 2 "$scheme://$url_host:$port$path" 2>/dev/null; then
      ready=true
      break
    fi
    sleep 0.5
  done
  if ! $ready; then
    if [[ $engine == podman ]]; then
      podman ps -a --pod --filter pod="$pod" >&2 || true
      podman logs "$pod-$owner" >&2 || true
    else
      compose ps >&2 || true
      compose logs "$owner" >&2 || true
    fi
    die "$owner did not become ready on port $port within 120 s (see its logs above); scripts/demo.sh down removes the pod"
  fi
done
elapsed=$(($(date +%s) - started))

# The running images: their size and the memory each container uses now (what its cgroup is charged, as the engine's
# `stats` reports it in decimal units, converted to MiB).
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
to_mib() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+ */, "", u)
    f["B"] = 1; f["kB"] = 1e3; f["KB"] = 1e3; f["MB"] = 1e6; f["GB"] = 1e9; f["KiB"] = 1024; f["MiB"] = 1048576; f["GiB"] = 1073741824
    if (!(u in f)) { print "?"; exit }
    printf "%.1f", n * f[u] / 1048576 }'
}
table() {
  local name id image size memory
  printf '  %-18s %-42s %9s %11s\n' container image 'size MiB' 'memory MiB'
  for name in nginx redis "${images[@]}"; do
    if [[ $engine == podman ]]; then id="$pod-$name"; else id=$(compose ps -q "$name"); fi
    image=$("$engine" inspect --format '{{.Config.Image}}' "$id")
    memory=$("$engine" stats --no-stream --format '{{.MemUsage}}' "$id" 2>/dev/null | sed 's| */.*||')
    size=$(mib "$("$engine" image inspect --format '{{.Size}}' "$image")")
    printf '  %-18s %-42s %9s %11s\n' "$name" "$image" "$size" "$(to_mib "${memory:-?}")"
  done
}

if [[ $engine == podman ]]; then
  logs="podman logs $pod-"
elif docker compose version >/dev/null 2>&1; then
  logs="docker compose -p $pod logs "
else
  logs="docker-compose -p $pod logs "
fi
api="http://$url_host:9402"
if [[ $engine == podman ]]; then redis_cli="podman exec $pod-redis redis-cli"; else redis_cli="${logs%logs }exec redis redis-cli"; fi
cat <<EOF

The demo pod is ready ($elapsed s): an unmodified nginx and Redis with six sidecars beside them.

  https://$url_host:8443/            the site: git-synced from artifacts/demo/repository, over HTTPS and HTTP/2
      curl -k https://$url_host:8443/                  (self-signed certificate; -k trusts it for the demo)
      curl -k https://$url_host:8443/forwarded         what nginx received: X-Forwarded-For, -Proto, -Host, -Port
  http://$url_host:9403/             topz: every process of the pod, live (/topz as text, ?format=json)

  Change the site (git-sync publishes the new commit within 2 s):
      cd $demo/site && sed -i 's/Revision: first/Revision: second/' index.html \\
        && git commit -qam second && git push -q && cd -

  Push an nginx include through config-sync (validated, published, nginx reloaded by SIGHUP, confirmed), then another:
      TOKEN=\$(cat $demo/token/token)
      curl -X PUT $api/v1/config/files/headers.conf -H "Authorization: Bearer \$TOKEN" --data-binary 'add_header X-Demo v1 always;'
      curl -X PUT $api/v1/config/files/headers.conf -H "Authorization: Bearer \$TOKEN" --data-binary 'add_header X-Demo v2 always;'
      curl -skI https://$url_host:8443/ | grep -i x-demo
  A broken one is refused (422, nginx's syntax checked first) and never reaches nginx:
      curl -X PUT $api/v1/config/files/headers.conf -H "Authorization: Bearer \$TOKEN" --data-binary 'add_header X-Demo "v3 always;'
  Roll back to the version before (v1 again), and list the versions:
      curl -X POST $api/v1/rollback -H "Authorization: Bearer \$TOKEN"
      curl $api/v1/versions

  Metrics (Prometheus text; compose/prometheus/prometheus.yml scrapes them all), and /healthz, /readyz on each port:
      http://$url_host:9401/metrics   https-terminator     http://$url_host:9404/metrics   git-sync
      http://$url_host:9402/metrics   config-sync          http://$url_host:9405/metrics   log-normalizer
      http://$url_host:9403/metrics   topz                 http://$url_host:9121/metrics   redis-exporter (Redis' own)

  ${logs}log-normalizer     nginx's requests and Redis' slow log, one JSON record each (stderr: its own lines)
  $redis_cli SET greeting hello     a Redis command: its slow-log record follows within 2 s
  ${logs}<container>        any container's logs: nginx, redis, https-terminator, config-sync, topz, git-sync, ...
  scripts/demo.sh down      stop and remove the pod

EOF
table
