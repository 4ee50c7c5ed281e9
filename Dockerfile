# syntax=docker/dockerfile:1
#
# image-updater container image.
#
# Base image pinning: builds are only reproducible when the base is pinned by digest as
# well as by tag. The digest cannot be resolved on the machine this file was written on
# (no registry access), so the default below is the tag alone; release builds pass the
# digest explicitly, e.g.
#
#   docker buildx build \
#     --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:<digest> \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" .
#
# and `docker buildx imagetools inspect python:3.11-slim-bookworm` prints the digest to use.
# Both stages use the same base so the venv's interpreter path (/usr/local/bin/python)
# exists in the runtime stage.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: build the project wheel and install it with its dependencies into a venv ----
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
RUN python -m venv /opt/venv

# Only what the wheel is built from; .dockerignore keeps the rest of the tree out of the context.
COPY pyproject.toml README.md ./
COPY image_updater ./image_updater

# The wheel is built first, then installed by path, so the venv holds exactly what a
# `pip install image-updater` of this revision would hold (no source tree, no editable link).
RUN /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/venv/bin/pip install /wheels/*.whl \
 && /opt/venv/bin/image-updater --help >/dev/null

# --- runtime -------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=unknown

LABEL org.opencontainers.image.title="image-updater" \
      org.opencontainers.image.description="Closes the GitOps loop: moves container image tags forward in a config repo." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="python:3.11-slim-bookworm"

# git for the config repository, openssh-client for ssh:// remotes, ca-certificates for
# https registries and forges. Debian package versions are not pinned: a stable release only
# ships security fixes, and pinning them breaks the build as soon as the mirror moves on.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# A passwd entry for the numeric user: ssh refuses to run for a uid it cannot look up
# ("No user exists for uid ..."), so the runtime uid must be this one (the chart's default).
RUN groupadd --system --gid 65532 image-updater \
 && useradd --system --uid 65532 --gid 65532 --home-dir /tmp --no-create-home \
      --shell /usr/sbin/nologin image-updater \
 && mkdir -p /etc/image-updater /var/lib/image-updater \
 && chown 65532:65532 /var/lib/image-updater

COPY --from=builder /opt/venv /opt/venv

# Read-only root filesystem: everything that writes goes to /var/lib/image-updater (clones)
# or /tmp (HOME, temp files); both are volumes (emptyDir in Kubernetes).
# Git never reads /etc/gitconfig or ~/.gitconfig and never prompts; the only setting it
# needs is safe.directory for the work dir, which is a volume owned by root on some runtimes.
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GIT_CONFIG_NOSYSTEM=1 \
    GIT_CONFIG_GLOBAL=/dev/null \
    GIT_TERMINAL_PROMPT=0 \
    GIT_CONFIG_COUNT=1 \
    GIT_CONFIG_KEY_0=safe.directory \
    GIT_CONFIG_VALUE_0=/var/lib/image-updater

VOLUME ["/var/lib/image-updater", "/tmp"]
WORKDIR /var/lib/image-updater
USER 65532:65532
EXPOSE 8080

# Kubernetes uses the chart's probes instead; this serves plain `docker run`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('IMAGE_UPDATER_SERVICE__PORT', '8080'), timeout=4)"]

ENTRYPOINT ["image-updater"]
CMD ["run", "--config", "/etc/image-updater/config.yaml"]
