#!/usr/bin/env bash
# Builds the container images: every sidecars/*/Dockerfile and adapters/*/Dockerfile, or only the named ones.
#
#   scripts/images.sh [--local-base] [image ...]
#
# Each image is published self-contained for linux-x64 (or NativeAOT when its project sets <PublishAot>true</PublishAot>)
# into artifacts/publish/<image>, and that folder is the build context of the image's Dockerfile. Tags:
# sidecars/<image>:<version> and sidecars/<image>:latest.
#
#   --local-base   build on a Debian base made here with debootstrap (localhost/sidecars-base:bookworm) instead of
#                  mcr.microsoft.com/dotnet/runtime-deps:10.0, for machines without a registry; also builds the local
#                  stand-ins for the unmodified third-party apps the image tests run beside the sidecars
#                  (localhost/sidecars-nginx:bookworm, localhost/sidecars-redis:bookworm). All are cached: built
#                  only when missing.
#
# Environment: CONTAINER_ENGINE (default podman when installed, else docker), BASE_IMAGE (overrides the base),
# VERSION (default: the project's MSBuild Version), REVISION (default: git rev-parse HEAD), SOURCE (default: the
# origin remote's URL) for the OCI labels, PUBLISH_AOT=true|false (default: the project's PublishAot) to compare both.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF="$root/scripts/containers.conf"
# The .NET CLI's first-run banner and telemetry notice only add noise to build logs.
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

local_base_image=localhost/sidecars-base:bookworm
local_nginx_image=localhost/sidecars-nginx:bookworm
local_redis_image=localhost/sidecars-redis:bookworm

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'images.sh: %s\n' "$*" >&2; exit 1; }

scratch=()
cleanup() { [[ ${#scratch[@]} -eq 0 ]] || rm -rf "${scratch[@]}"; }
trap cleanup EXIT

local_base=false
requested=()
for arg in "$@"; do
  case "$arg" in
    --local-base) local_base=true ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) die "unknown option $arg (see --help)" ;;
    *) requested+=("$arg") ;;
  esac
done

if [[ -n "${CONTAINER_ENGINE:-}" ]]; then
  engine=$CONTAINER_ENGINE
elif command -v podman >/dev/null; then
  engine=podman
elif command -v docker >/dev/null; then
  engine=docker
else
  die "neither podman nor docker is installed (apt-get install -y podman runc)"
fi
command -v "$engine" >/dev/null || die "CONTAINER_ENGINE=$engine is not installed"
command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is not installed"

# A property from `dotnet msbuild -getProperty:A -getProperty:B` (one JSON object, one property a line).
json_property() { sed -nE "s/^ *\"$1\": *\"([^\"]*)\".*/\1/p" <<<"$2"; }

image_exists() { "$engine" image inspect "$1" >/dev/null 2>&1; }

image_size() { "$engine" image inspect --format '{{.Size}}' "$1" | numfmt --to=iec --suffix=B; }

# A minimal Debian root filesystem imported as an image: the same shape as runtime-deps (CA certificates, OpenSSL,
# time zones), built from the machine's own Debian mirror, so no registry is needed.
# Arguments: the tag, the packages to include, then any image configuration lines (`podman import -c`).
debootstrap_image() {
  local tag=$1 include=$2
  shift 2
  if image_exists "$tag"; then
    log "$tag exists, kept ($(image_size "$tag"))"
    return
  fi
  [[ $engine == podman ]] || die "--local-base imports a debootstrap root filesystem and needs podman"
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install -y debootstrap)"
  [[ $(id -u) == 0 ]] || die "debootstrap needs root to build $tag"
  local mirror
  mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  if [[ -z "$mirror" ]]; then
    mirror=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  fi
  [[ -n "$mirror" ]] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"

  log "building $tag with debootstrap (--include=$include)"
  local rootfs
  rootfs=$(mktemp -d "${TMPDIR:-/tmp}/sidecars-rootfs.XXXXXX")
  scratch+=("$rootfs" "$rootfs.log")
  mkdir -p "$root/artifacts/debootstrap-cache"
  debootstrap --variant=minbase --include="$include" --cache-dir="$root/artifacts/debootstrap-cache" \
    bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || { cat "$rootfs.log" >&2; die "debootstrap failed for $tag"; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  if [[ -d "$rootfs/var/log/nginx" ]]; then
    # As the official nginx image: logs go to the container's output.
    ln -sf /dev/stdout "$rootfs/var/log/nginx/access.log"
    ln -sf /dev/stderr "$rootfs/var/log/nginx/error.log"
  fi
  # An imported root filesystem has no configuration at all: give it PATH (and CMD) here.
  local changes=(-c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
  local change
  for change in "$@"; do
    changes+=(-c "$change")
  done
  tar -C "$rootfs" -c . | podman import --quiet "${changes[@]}" - "$tag" >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
  log "built $tag ($(image_size "$tag"))"
}

# The images: folders holding a Dockerfile, named after the folder.
declare -A project_dir=()
for dockerfile in "$root"/sidecars/*/Dockerfile "$root"/adapters/*/Dockerfile; do
  [[ -f "$dockerfile" ]] || continue
  dir=$(dirname "$dockerfile")
  project_dir[$(basename "$dir")]=$dir
done
if [[ ${#requested[@]} -eq 0 ]]; then
  mapfile -t requested < <(printf '%s\n' "${!project_dir[@]}" | sort)
fi
[[ ${#requested[@]} -gt 0 ]] || die "no sidecars/*/Dockerfile or adapters/*/Dockerfile found"
for image in "${requested[@]}"; do
  [[ -n "${project_dir[$image]:-}" ]] || die "no image named '$image' (known: ${!project_dir[*]})"
done

if $local_base; then
  debootstrap_image "$local_base_image" ca-certificates,libssl3,tzdata
  debootstrap_image "$local_nginx_image" nginx-light 'CMD ["nginx","-g","daemon off;"]'
  # As the official redis image: in the foreground, no persistence, on every address of its pod or network (protected
  # mode refuses any client not on loopback while no password is set), as the package's own unprivileged user.
  debootstrap_image "$local_redis_image" redis-server 'USER redis' 'WORKDIR /var/lib/redis' \
    'CMD ["redis-server","--save","","--appendonly","no","--protected-mode","no","--bind","* -::*"]'
  base_image=${BASE_IMAGE:-$local_base_image}
else
  base_image=${BASE_IMAGE:-mcr.microsoft.com/dotnet/runtime-deps:10.0}
fi

revision=${REVISION:-$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)}
# Credentials in a remote URL (https://user:token@host/...) must not end up in a label.
source_url=${SOURCE:-$(git -C "$root" remote get-url origin 2>/dev/null | sed -E 's#^(https?://)[^/@]*@#\1#' || true)}

built=()
for image in "${requested[@]}"; do
  dir=${project_dir[$image]}
  csproj=$(find "$dir" -maxdepth 1 -name '*.csproj' | head -n 2)
  [[ $(wc -l <<<"$csproj") == 1 && -n "$csproj" ]] || die "$dir must hold exactly one .csproj"

  # One evaluation answers both questions; the project (not this script) decides whether it is NativeAOT.
  props=$(dotnet msbuild "$csproj" -nologo -getProperty:Version -getProperty:PublishAot -p:RuntimeIdentifier=linux-x64)
  version=${VERSION:-$(json_property Version "$props")}
  aot=${PUBLISH_AOT:-$(json_property PublishAot "$props")}
  [[ -n "$version" ]] || die "could not read the Version of $csproj: $props"

  publish="$root/artifacts/publish/$image"
  rm -rf "$publish"
  if [[ ${aot,,} == true ]]; then
    # NativeAOT links with clang; Debian installs it under /usr/lib/llvm-<n>/bin without a plain `clang` on PATH.
    if ! command -v clang >/dev/null && ! compgen -G '/usr/lib/llvm-*/bin/clang' >/dev/null || [[ ! -e /usr/include/zlib.h ]]; then
      [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null || die "$image is NativeAOT and needs clang and zlib1g-dev installed"
      log "installing clang and zlib1g-dev for the NativeAOT link"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clang zlib1g-dev >/dev/null ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clang zlib1g-dev >/dev/null; }
    fi
    if ! command -v clang >/dev/null; then
      llvm_bin=$(compgen -G '/usr/lib/llvm-*/bin' | sort -V | tail -n 1)
      export PATH="$PATH:$llvm_bin"
    fi
    log "publishing $image $version (NativeAOT)"
    dotnet publish "$csproj" -c Release -r linux-x64 -p:PublishAot=true -o "$publish" -nologo -v:quiet
  else
    log "publishing $image $version (self-contained)"
    dotnet publish "$csproj" -c Release -r linux-x64 --self-contained -o "$publish" -nologo -v:quiet
  fi
  # Native debug symbols are large and not needed at run time: keep them beside the publish folder, out of the image.
  symbols="$root/artifacts/symbols/$image"
  rm -rf "$symbols"
  mkdir -p "$symbols"
  find "$publish" -maxdepth 1 -name '*.dbg' -exec mv -t "$symbols" {} +
  # A NativeAOT binary has no use for the managed pdbs the build leaves beside it.
  [[ ${aot,,} != true ]] || find "$publish" -maxdepth 1 -name '*.pdb' -exec mv -t "$symbols" {} +

  log "building sidecars/$image:$version on $base_image"
  build=("$engine" build --file "$dir/Dockerfile" --tag "sidecars/$image:$version" --tag "sidecars/$image:latest"
    --build-arg "BASE_IMAGE=$base_image" --build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "SOURCE=$source_url")
  previous=$("$engine" image inspect --format '{{.Id}}' "sidecars/$image:latest" 2>/dev/null || true)
  "${build[@]}" --quiet "$publish" >/dev/null
  current=$("$engine" image inspect --format '{{.Id}}' "sidecars/$image:latest")
  if [[ -n "$previous" && "$previous" != "$current" ]]; then
    # The image this build replaced, now untagged; kept when a container still uses it or another tag names it.
    "$engine" image rm "$previous" >/dev/null 2>&1 || true
  fi
  built+=("sidecars/$image:$version")
done

log "images:"
for tag in "${built[@]}"; do
  printf '    %-40s %s\n' "$tag" "$(image_size "$tag")" >&2
done
if $local_base; then
  printf '    %-40s %s\n' "$local_nginx_image" "$(image_size "$local_nginx_image")" >&2
  printf '    %-40s %s\n' "$local_redis_image" "$(image_size "$local_redis_image")" >&2
fi
