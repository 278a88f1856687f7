# Every Sidecars image: the build context is one published app (scripts/images.sh runs `dotnet publish` into
# artifacts/publish/<image> first), so this file only assembles the runtime image. Every value comes from the image's
# project and Directory.Build.props (ContainerBaseImage, Description, ContainerPort items, ContainerUser,
# ContainerEnvironmentVariable items, each with its reason there), which scripts/images.sh reads and passes as build
# arguments; the SDK's own container build (`dotnet publish -t:PublishContainer`) reads the same values. The image's
# stage at the end of this file names its executable.
#
#   scripts/images.sh topz                  # base: the project's ContainerBaseImage (runtime-deps:10.0-noble-chiseled)
#   scripts/images.sh --local-base topz     # base: the same shape, made here from Debian's packages
ARG BASE_IMAGE
# git-sync's `ssh` comes from here (its stage at the end): the full image of the base's own distribution release, with
# a shell and a package manager, which the final image never gets. runtime-deps:10.0-noble is the chiseled noble base's
# full sibling; with another BASE_IMAGE, give the full image of the same release (scripts/images.sh --local-base gives
# localhost/sidecars-ssh:bookworm, Debian 12 with openssh-client, beside its Debian 12 base).
ARG SSH_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0-noble
FROM ${BASE_IMAGE} AS sidecar

ARG IMAGE
ARG DESCRIPTION=
# Space-separated: "8443 9401".
ARG PORTS
# Numeric, so Kubernetes' runAsNonRoot can verify it (runtime-deps names 1654 "app").
ARG USER=1654
ARG VERSION=0.0.0
ARG REVISION=unknown
# The repository URL; scripts/images.sh passes SOURCE or the checkout's origin remote.
ARG SOURCE=
LABEL org.opencontainers.image.title="${IMAGE}" \
      org.opencontainers.image.description="${DESCRIPTION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

# Root-owned and read-only for the app user: the process cannot modify its own binaries.
COPY --chown=0:0 --chmod=0755 . /app/

# The runtime settings: each ContainerEnvironmentVariable of the project (values and reasons in Directory.Build.props,
# or in the image's project file for one image alone). One not set for an image is empty here, the runtime's default.
ARG DOTNET_EnableDiagnostics=
ARG DOTNET_gcServer=
ARG TMPDIR=
ARG ASPNETCORE_HTTP_PORTS=
ARG DOTNET_GCgen0size=
ENV DOTNET_EnableDiagnostics=${DOTNET_EnableDiagnostics} \
    DOTNET_gcServer=${DOTNET_gcServer} \
    TMPDIR=${TMPDIR} \
    ASPNETCORE_HTTP_PORTS=${ASPNETCORE_HTTP_PORTS} \
    DOTNET_GCgen0size=${DOTNET_GCgen0size}
# The app's addresses default to :port, all interfaces of the pod.
EXPOSE ${PORTS}

USER ${USER}
WORKDIR /app

# One stage per image, named after it, for its executable: an exec-form ENTRYPOINT takes no build argument, and the
# executable keeps the image's name so `ps`, topz and /proc/<pid>/comm show it (exec form: no shell is needed or used).
FROM sidecar AS topz
ENTRYPOINT ["/app/topz"]

FROM sidecar AS https-terminator
ENTRYPOINT ["/app/https-terminator"]

FROM sidecar AS redis-exporter
ENTRYPOINT ["/app/redis-exporter"]

FROM sidecar AS config-sync
# Its two volumes, CONFIGSYNC_DIR and CONFIGSYNC_STATE_DIR, exist and belong to 1654 in the image, so it works without
# them and a new Docker or podman volume mounted there starts owned by 1654 (both copy a mount point's owner into an
# empty volume). No shell runs here: an empty directory (the stage's own /tmp) is copied in with the owner set, as
# runtime-deps makes its /home/app. /var/lib first, as root: a base without it would get 1654's parents otherwise.
COPY --from=sidecar --chown=0:0 --chmod=0755 /tmp /var/lib
COPY --from=sidecar --chown=1654:1654 --chmod=0755 /tmp /config
COPY --from=sidecar --chown=1654:1654 --chmod=0755 /tmp /var/lib/config-sync
# Docker and podman give each a volume of its own when none is mounted, so both stay writable with a read-only root
# filesystem. Kubernetes ignores VOLUME: mount an emptyDir and a PersistentVolumeClaim there (compose/k8s/config-sync.yaml).
VOLUME ["/config", "/var/lib/config-sync"]
ENTRYPOINT ["/app/config-sync"]

# kubernetes/git-sync's identity, so pod specs written for it work unchanged: user and group 65533 named git-sync,
# /git (the default GITSYNC_ROOT) owned by them with mode 02775 (new files there keep the group, so another UID in group
# 65533 can share it), /etc/passwd writable by any user for GITSYNC_ADD_USER (an entry for an arbitrary UID, which ssh
# needs), and `ssh`, which libgit2 runs for ssh URLs. The final image still has no shell: everything that needs one
# happens in this stage, on SSH_IMAGE, and only its results are copied.
FROM ${SSH_IMAGE} AS git-sync-files
COPY --from=sidecar /etc/passwd /etc/group /base/etc/
COPY --from=sidecar /usr/lib/ /base/usr/lib/
# ssh and each shared library it loads that the base lacks (at the same path, under its soname), found with ldd.
# The passwd and group files are the base's, with the reference's entries for 65533 in place of any the base has.
# /git is made here because COPY --chmod does not set the setgid bit on a directory (podman 4.3 leaves 0755).
RUN set -eu; \
    command -v ssh >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openssh-client >/dev/null; }; \
    ssh=$(command -v ssh); mkdir -p /out/etc "/out/ssh$(dirname "$ssh")"; cp "$ssh" "/out/ssh$ssh"; \
    for lib in $(ldd "$ssh" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do \
      dir=$(dirname "$(readlink -f "$lib")"); name=$(basename "$lib"); \
      [ -e "/base$dir/$name" ] || { mkdir -p "/out/ssh$dir"; cp -L "$lib" "/out/ssh$dir/$name"; }; \
    done; \
    awk -F: '$3 != "65533"' /base/etc/passwd >/out/etc/passwd; echo 'git-sync:x:65533:65533::/tmp:/sbin/nologin' >>/out/etc/passwd; \
    awk -F: '$3 != "65533"' /base/etc/group >/out/etc/group; echo 'git-sync:x:65533:' >>/out/etc/group; \
    mkdir -p /out/root && mkdir -m 02775 /out/root/git; \
    "/out/ssh$ssh" -V

FROM sidecar AS git-sync
COPY --from=git-sync-files --chown=0:0 /out/ssh/ /
COPY --from=git-sync-files --chown=0:0 --chmod=0644 /out/etc/group /etc/group
# Writable by any user, as the reference makes it: GITSYNC_ADD_USER appends the running UID's entry at start (with a
# read-only root filesystem that fails, which is why it is off by default; ssh needs it only for a UID not listed here).
COPY --from=git-sync-files --chown=0:0 --chmod=0666 /out/etc/passwd /etc/passwd
# Copied as an entry of its parent, so it keeps its mode; the owner set here, whatever the engine does with owners.
COPY --from=git-sync-files --chown=65533:65533 /out/root/ /
# The reference's HOME: ssh and the entry GITSYNC_ADD_USER writes use it; /tmp is writable (mount an emptyDir there).
ARG HOME=
ENV HOME=${HOME}
# Docker and podman give /git a volume of its own when none is mounted, so the image works with a read-only root
# filesystem. Kubernetes ignores VOLUME: mount a volume on /git (compose/k8s/git-sync.yaml).
VOLUME ["/git"]
ENTRYPOINT ["/app/git-sync"]

FROM sidecar AS log-normalizer
# Its state dir (checkpoints, and the disk buffer by default) exists and belongs to 1654, so it works without a mount
# and a new volume mounted there starts owned by 1654; the logs it reads are mounted read-only where the inputs say.
COPY --from=sidecar --chown=0:0 --chmod=0755 /tmp /var/lib
COPY --from=sidecar --chown=1654:1654 --chmod=0755 /tmp /var/lib/log-normalizer
# Docker and podman give it a volume of its own when none is mounted, so it stays writable with a read-only root
# filesystem. Kubernetes ignores VOLUME: mount an emptyDir (or a PersistentVolumeClaim, to keep positions across pod
# restarts) there (compose/k8s/log-normalizer.yaml).
VOLUME ["/var/lib/log-normalizer"]
ENTRYPOINT ["/app/log-normalizer"]
