# Every Sidecars image: the build context is one published app (scripts/images.sh runs `dotnet publish` into
# artifacts/publish/<image> first), so this file only assembles the runtime image. The per-image values live in the
# image's project file (Description, ContainerPort items, ContainerUser, ContainerEnvironmentVariable items) and
# scripts/images.sh passes them as build arguments; the image's stage at the end of this file names its executable.
#
#   scripts/images.sh topz                  # base: mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
#   scripts/images.sh --local-base topz     # base: the same shape, made here from Debian's packages
#
# By hand (what scripts/images.sh runs):
#   docker build -f Dockerfile --target topz --build-arg IMAGE=topz --build-arg PORTS=9403 \
#     --build-arg DESCRIPTION="top over HTTP ..." artifacts/publish/topz
ARG BASE_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
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

# Container defaults, one reason each:
# No debugger/profiler/dotnet-counters IPC socket in /tmp: nothing to write and nothing to attach to by surprise.
ENV DOTNET_EnableDiagnostics=0
# Workstation GC: a sidecar is small and idle most of the time; server GC sizes heaps per core and costs tens of MB.
ENV DOTNET_gcServer=0
# The only writable place the runtime or the app may use; mount an emptyDir/tmpfs there with a read-only root.
ENV TMPDIR=/tmp
# runtime-deps sets 8080 for ASP.NET apps; ours listen only on their own address, and 8080 is the app's in a pod.
ENV ASPNETCORE_HTTP_PORTS=
# A gen0 budget for the images whose project sets one as a ContainerEnvironmentVariable (redis-exporter, with its
# measurement there); not for all: it trades CPU for RSS, and the terminator's CPU is its throughput. Empty, the
# runtime's default.
ARG DOTNET_GCgen0size=
ENV DOTNET_GCgen0size=${DOTNET_GCgen0size}
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
