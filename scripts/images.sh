#!/usr/bin/env bash
# Builds the container images: one per project folder under sidecars/ and adapters/, or only the named ones.
#
#   scripts/images.sh [--local-base] [image ...]
#
# Each image is published self-contained for linux-x64 (or NativeAOT when its project sets <PublishAot>true</PublishAot>)
# into artifacts/publish/<image>, and that folder is the build context of the top-level Dockerfile, which every image
# shares. The per-image values come from the image's project file: Description (the OCI description), ContainerPort
# items (EXPOSE), ContainerUser (default 1654) and ContainerEnvironmentVariable items (build arguments the Dockerfile
# declares). Tags: sidecars/<image>:<version> and sidecars/<image>:latest. Ends with a table of each image's size, its
# compressed size (`save | gzip`, what a registry stores and a node pulls) and its executable's size.
#
#   --local-base   build on a base made here from Debian's packages (localhost/sidecars-base:bookworm-chiseled) instead
#                  of the projects' ContainerBaseImage (runtime-deps:10.0-noble-chiseled), for machines without a registry: the
#                  same shape (C library, libgcc_s, OpenSSL, CA certificates, time zones, users 1654 "app" and 65533,
#                  no shell, no package manager). Also builds the local stand-ins for the unmodified third-party apps
#                  the image tests run beside the sidecars (localhost/sidecars-nginx:bookworm,
#                  localhost/sidecars-redis:bookworm, with debootstrap), and, for git-sync, the full Debian 12 its `ssh`
#                  is taken from (localhost/sidecars-ssh:bookworm, the Dockerfile's SSH_IMAGE). All are cached: built
#                  only when missing.
#   --no-sizes     skip the closing table (its compressed sizes take a `save | gzip` per image); scripts/demo.sh
#                  prints its own.
#
# Environment: CONTAINER_ENGINE (default podman when installed, else docker), BASE_IMAGE (overrides the base),
# SSH_IMAGE (git-sync's: the full image of the base's distribution release that its `ssh` is copied from),
# VERSION (default: the project's MSBuild Version), REVISION (default: git rev-parse HEAD), SOURCE (default: the
# origin remote's URL) for the OCI labels, PUBLISH_AOT=true|false (default: the project's PublishAot) to compare both.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF="$root/scripts/containers.conf"
# The .NET CLI's first-run banner and telemetry notice only add noise to build logs.
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

local_base_image=localhost/sidecars-base:bookworm-chiseled
local_nginx_image=localhost/sidecars-nginx:bookworm
local_redis_image=localhost/sidecars-redis:bookworm
local_ssh_image=localhost/sidecars-ssh:bookworm

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'images.sh: %s\n' "$*" >&2; exit 1; }

scratch=()
cleanup() { [[ ${#scratch[@]} -eq 0 ]] || rm -rf "${scratch[@]}"; }
trap cleanup EXIT

local_base=false
sizes=true
requested=()
for arg in "$@"; do
  case "$arg" in
    --local-base) local_base=true ;;
    --no-sizes) sizes=false ;;
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

# The image's values from one evaluation of its project, NUL-separated: Version, PublishAot, Description, ContainerUser,
# ContainerBaseImage, the ContainerPort items space-separated, then one NAME=VALUE per ContainerEnvironmentVariable item.
project_values() {
  dotnet msbuild "$1" -nologo -p:RuntimeIdentifier=linux-x64 -getProperty:Version -getProperty:PublishAot \
    -getProperty:Description -getProperty:ContainerUser -getProperty:ContainerBaseImage -getItem:ContainerPort -getItem:ContainerEnvironmentVariable |
    python3 -c '
import json, sys
out = json.load(sys.stdin)
props, items = out["Properties"], out.get("Items", {})
fields = [props[name] for name in ("Version", "PublishAot", "Description", "ContainerUser", "ContainerBaseImage")]
fields.append(" ".join(port["Identity"] for port in items.get("ContainerPort", [])))
fields += [env["Identity"] + "=" + env.get("Value", "") for env in items.get("ContainerEnvironmentVariable", [])]
sys.stdout.write("".join(field + "\0" for field in fields))'
}

image_exists() { "$engine" image inspect "$1" >/dev/null 2>&1; }

image_size() { "$engine" image inspect --format '{{.Size}}' "$1" | numfmt --to=iec --suffix=B; }

# A minimal Debian root filesystem with a package in it, imported as an image: the stand-ins for the unmodified
# third-party apps (nginx, redis), built from the machine's own Debian mirror, so no registry is needed.
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

# The runtime-deps chiseled shape, made from Debian's own packages so no registry is needed: only the files a
# NativeAOT executable loads (the dynamic loader, libc and libm it links; libgcc_s, which glibc loads to unwind a
# thread; libssl and libcrypto, which .NET loads by soname for TLS and crypto), the CA bundle at Debian's path and
# OpenSSL's default paths pointing at it, the time zone database, the users, an empty world-writable /tmp, each package's
# copyright file, and os-release so scanners know the distribution. No shell, no package manager, no dpkg database.
# ICU is left out: every project sets InvariantGlobalization.
chiseled_base_image() {
  local tag=$1
  if image_exists "$tag"; then
    log "$tag exists, kept ($(image_size "$tag"))"
    return
  fi
  [[ $engine == podman ]] || die "--local-base imports a root filesystem and needs podman"
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "--local-base takes Debian's packages and needs apt-get and dpkg-deb"
  local packages=(libc6 libgcc-s1 libssl3 ca-certificates tzdata base-files)
  log "building $tag from ${packages[*]}"
  local work
  work=$(mktemp -d "${TMPDIR:-/tmp}/sidecars-base.XXXXXX")
  scratch+=("$work")
  mkdir -p "$work/debs" "$work/pkg" "$work/rootfs"
  # apt-get download writes into the current directory; as root it fetches unsandboxed (the _apt user cannot write
  # into a mktemp folder) and says so on stderr, which is expected here.
  if ! (cd "$work/debs" && apt-get download -q "${packages[@]}" >/dev/null 2>"$work/apt.log"); then
    [[ $(id -u) == 0 ]] || { cat "$work/apt.log" >&2; die "apt-get download failed"; }
    apt-get update -q >/dev/null
    (cd "$work/debs" && apt-get download -q "${packages[@]}" >/dev/null 2>"$work/apt.log") || { cat "$work/apt.log" >&2; die "apt-get download failed"; }
  fi
  local deb name
  for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$work/pkg"
  done
  # Each package's copyright file goes into the image. A package whose doc folder points to another's
  # (libgcc-s1 -> gcc-12-base) has it in that package, fetched for this file alone.
  local docs=()
  for name in "${packages[@]}"; do
    if [[ -L "$work/pkg/usr/share/doc/$name" ]]; then
      name=$(basename "$(readlink "$work/pkg/usr/share/doc/$name")")
      (cd "$work/debs" && apt-get download -q "$name" >/dev/null 2>>"$work/apt.log") || { cat "$work/apt.log" >&2; die "apt-get download $name failed"; }
      dpkg-deb -x "$work"/debs/"$name"_*.deb "$work/pkg"
    fi
    docs+=("$name")
  done

  local pkg=$work/pkg rootfs=$work/rootfs
  local lib=usr/lib/x86_64-linux-gnu
  # Merged /usr, as Debian 12 installs it: /lib and /lib64 (the ELF interpreter's path) point into /usr.
  mkdir -p "$rootfs/$lib" "$rootfs/usr/lib64" "$rootfs/usr/lib/ssl" "$rootfs/usr/share/doc" "$rootfs/etc/ssl/certs" "$rootfs/tmp" "$rootfs/home/app"
  ln -s usr/lib "$rootfs/lib"
  ln -s usr/lib64 "$rootfs/lib64"
  ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$rootfs/usr/lib64/ld-linux-x86-64.so.2"
  # libpthread, libdl and librt are empty since glibc 2.34 but still named by native libraries built before it.
  local file
  for file in ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libgcc_s.so.1; do
    cp -a "$pkg/lib/x86_64-linux-gnu/$file" "$rootfs/$lib/"
  done
  cp -a "$pkg/$lib/libssl.so.3" "$pkg/$lib/libcrypto.so.3" "$rootfs/$lib/"

  # What update-ca-certificates would write with every certificate of the package enabled.
  local crt
  for crt in $(cd "$pkg/usr/share/ca-certificates" && find . -name '*.crt' | LC_ALL=C sort); do
    sed -e '$a\' "$pkg/usr/share/ca-certificates/$crt"
  done >"$rootfs/etc/ssl/certs/ca-certificates.crt"
  ln -s /etc/ssl/certs "$rootfs/usr/lib/ssl/certs"
  ln -s /etc/ssl/certs/ca-certificates.crt "$rootfs/usr/lib/ssl/cert.pem"
  cp -a "$pkg/usr/share/zoneinfo" "$rootfs/usr/share/"
  cp -a "$pkg/usr/lib/os-release" "$rootfs/usr/lib/"
  ln -s ../usr/lib/os-release "$rootfs/etc/os-release"
  for name in "${docs[@]}"; do
    mkdir -p "$rootfs/usr/share/doc/$name"
    cp -a "$pkg/usr/share/doc/$name/copyright" "$rootfs/usr/share/doc/$name/"
  done

  # 1654 "app" as in runtime-deps; 65533 "git-sync" as in kubernetes/git-sync's image. No login shell exists.
  cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/usr/sbin/nologin
app:x:1654:1654:app:/home/app:/usr/sbin/nologin
git-sync:x:65533:65533::/tmp:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PASSWD
  cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
app:x:1654:
git-sync:x:65533:
nogroup:x:65534:
GROUP
  # Without this file glibc asks DNS before /etc/hosts.
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
  chmod 1777 "$rootfs/tmp"
  chown 1654:1654 "$rootfs/home/app"

  tar -C "$rootfs" --numeric-owner -c . | podman import --quiet \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV APP_UID=1654' -c 'ENV DOTNET_RUNNING_IN_CONTAINER=true' -c 'USER 1654' - "$tag" >/dev/null
  rm -rf "$work"
  log "built $tag ($(image_size "$tag"))"
}

dockerfile=$root/Dockerfile
# The images: project folders under sidecars/ and adapters/, named after the folder; each has its stage in the Dockerfile.
declare -A project_dir=()
for csproj in "$root"/sidecars/*/*.csproj "$root"/adapters/*/*.csproj; do
  [[ -f "$csproj" ]] || continue
  dir=$(dirname "$csproj")
  project_dir[$(basename "$dir")]=$dir
done
if [[ ${#requested[@]} -eq 0 ]]; then
  mapfile -t requested < <(printf '%s\n' "${!project_dir[@]}" | sort)
fi
[[ ${#requested[@]} -gt 0 ]] || die "no sidecars/*/*.csproj or adapters/*/*.csproj found"
for image in "${requested[@]}"; do
  [[ -n "${project_dir[$image]:-}" ]] || die "no image named '$image' (known: ${!project_dir[*]})"
  grep -qE "^FROM sidecar AS $image\$" "$dockerfile" ||
    die "the Dockerfile has no stage for $image: add 'FROM sidecar AS $image' and its ENTRYPOINT [\"/app/$image\"]"
done

if $local_base; then
  chiseled_base_image "$local_base_image"
  debootstrap_image "$local_nginx_image" nginx-light 'CMD ["nginx","-g","daemon off;"]'
  # As the official redis image: in the foreground, no persistence, on every address of its pod or network (protected
  # mode refuses any client not on loopback while no password is set), as the package's own unprivileged user.
  debootstrap_image "$local_redis_image" redis-server 'USER redis' 'WORKDIR /var/lib/redis' \
    'CMD ["redis-server","--save","","--appendonly","no","--protected-mode","no","--bind","* -::*"]'
  # git-sync's ssh and the libraries it loads are copied from here into the local base (the Dockerfile's git-sync stage):
  # the same Debian 12 the base is cut from. Only when git-sync is built: the other images do not need it.
  if [[ " ${requested[*]} " == *" git-sync "* ]]; then
    debootstrap_image "$local_ssh_image" openssh-client
  fi
fi

revision=${REVISION:-$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)}
# Credentials in a remote URL (https://user:token@host/...) must not end up in a label.
source_url=${SOURCE:-$(git -C "$root" remote get-url origin 2>/dev/null | sed -E 's#^(https?://)[^/@]*@#\1#' || true)}

built=()
for image in "${requested[@]}"; do
  dir=${project_dir[$image]}
  csproj=$(find "$dir" -maxdepth 1 -name '*.csproj' | head -n 2)
  [[ $(wc -l <<<"$csproj") == 1 && -n "$csproj" ]] || die "$dir must hold exactly one .csproj"

  # One evaluation answers every question; the project (not this script) decides whether it is NativeAOT.
  values=()
  mapfile -d '' values < <(project_values "$csproj")
  [[ ${#values[@]} -ge 6 ]] || die "could not evaluate $csproj"
  version=${VERSION:-${values[0]}}
  aot=${PUBLISH_AOT:-${values[1]}}
  description=${values[2]} user=${values[3]} ports=${values[5]}
  environment=("${values[@]:6}")
  # BASE_IMAGE, else the local base with --local-base, else the project's ContainerBaseImage (Directory.Build.props).
  base_image=${BASE_IMAGE:-}
  if [[ -z "$base_image" ]]; then
    if $local_base; then base_image=$local_base_image; else base_image=${values[4]}; fi
  fi
  [[ -n "$base_image" ]] || die "$csproj has no ContainerBaseImage"
  [[ -n "$version" ]] || die "could not read the Version of $csproj"
  [[ -n "$ports" ]] || die "$csproj declares no <ContainerPort Include=\"...\" /> for EXPOSE"

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
  build=("$engine" build --file "$dockerfile" --target "$image" --tag "sidecars/$image:$version" --tag "sidecars/$image:latest"
    --build-arg "BASE_IMAGE=$base_image" --build-arg "IMAGE=$image" --build-arg "DESCRIPTION=$description"
    --build-arg "PORTS=$ports"
    --build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "SOURCE=$source_url")
  # The Dockerfile's default SSH_IMAGE matches its default base; the local base has its own.
  ssh_image=${SSH_IMAGE:-}
  if [[ -z "$ssh_image" ]] && $local_base && [[ -z "${BASE_IMAGE:-}" ]]; then ssh_image=$local_ssh_image; fi
  [[ -z "$ssh_image" ]] || build+=(--build-arg "SSH_IMAGE=$ssh_image")
  # Without a ContainerUser the Dockerfile's default user.
  [[ -z "$user" ]] || build+=(--build-arg "USER=$user")
  for variable in "${environment[@]}"; do
    # An undeclared build argument would be dropped with only a warning.
    grep -qE "^ARG ${variable%%=*}=" "$dockerfile" || die "$csproj sets ${variable%%=*}, which the Dockerfile does not declare as an ARG"
    build+=(--build-arg "$variable")
  done
  previous=$("$engine" image inspect --format '{{.Id}}' "sidecars/$image:latest" 2>/dev/null || true)
  "${build[@]}" --quiet "$publish" >/dev/null
  current=$("$engine" image inspect --format '{{.Id}}' "sidecars/$image:latest")
  if [[ -n "$previous" && "$previous" != "$current" ]]; then
    # The image this build replaced, now untagged; kept when a container still uses it or another tag names it.
    "$engine" image rm "$previous" >/dev/null 2>&1 || true
  fi
  built+=("sidecars/$image:$version")
done

# Sizes in MiB with one decimal.
mib() { awk -v bytes="$1" 'BEGIN { printf "%.1f", bytes / 1048576 }'; }

# One row of the table: the tag, its size, its compressed size, and its executable's size (or -).
size_row() {
  local size compressed
  size=$("$engine" image inspect --format '{{.Size}}' "$1")
  compressed=$("$engine" save "$1" 2>/dev/null | gzip -c | wc -c)
  printf '%-42s %10s %15s %11s\n' "$1" "$(mib "$size")" "$(mib "$compressed")" "$2"
}

$sizes || exit 0
log "measuring the images (compressed: $engine save | gzip)"
printf '%-42s %10s %15s %11s\n' image 'size MiB' 'compressed MiB' 'binary MiB'
for tag in "${built[@]}"; do
  image=${tag#sidecars/}
  image=${image%%:*}
  size_row "$tag" "$(mib "$(stat -c %s "$root/artifacts/publish/$image/$image")")"
done
# The base too, when it was built here; not the stand-ins for third-party apps (no product of ours, and compressing
# them would double the time this table takes).
if $local_base && [[ -z "${BASE_IMAGE:-}" ]]; then
  size_row "$local_base_image" -
fi
