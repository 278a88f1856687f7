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
