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
#
# Any Debian-based image with CPython 3.11 as `python3` (and `python3 -m venv` working) serves as
# PYTHON_IMAGE: the official slim image has it at /usr/local/bin/python3, a plain Debian base
# with python3-venv at /usr/bin/python3 (the container test builds on such a base, made locally).
# Nothing here names the interpreter's path: the venv is made by `python3` in the builder and
# links to it, and both stages use the same base, so that path exists in the runtime stage too.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: build the project wheel and install it with its dependencies into a venv ----
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src

# Dependencies first, from the hash-pinned locks (scripts/lock.sh writes them from pyproject.toml):
# this layer is reused until a lock changes. --require-hashes refuses anything not in the lock,
# --only-binary keeps compilers out (every locked package has wheels for amd64 and arm64).
# Behind a TLS-intercepting proxy, pass its CA bundle as the optional build secret `pip-ca`
# (`--secret id=pip-ca,src=/etc/ssl/certs/ca-certificates.crt`); it is never stored in a layer.
COPY requirements/runtime.lock requirements/build.lock ./requirements/
RUN --mount=type=secret,id=pip-ca \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
 && python3 -m venv /opt/venv \
 && python3 -m venv /opt/build \
 && /opt/venv/bin/pip install --require-hashes --only-binary=:all: --no-deps -r requirements/runtime.lock \
 && /opt/build/bin/pip install --require-hashes --only-binary=:all: --no-deps -r requirements/build.lock

# Only what the wheel is built from; .dockerignore keeps the rest of the tree out of the context.
COPY pyproject.toml README.md ./
COPY image_updater ./image_updater

# The wheel is built with the locked build backend (no build isolation, so nothing unpinned is
# fetched), then installed by path without dependencies: the venv holds exactly the locked
# packages plus this revision (no source tree, no editable link). `pip check` fails the build
# if the lock is missing something the wheel requires; pip itself is then removed from the venv.
RUN /opt/build/bin/pip wheel --no-build-isolation --no-deps --wheel-dir /wheels . \
 && /opt/venv/bin/pip install --no-index --no-deps /wheels/*.whl \
 && /opt/venv/bin/pip check \
 && /opt/venv/bin/image-updater --help >/dev/null \
 && /opt/venv/bin/pip uninstall --yes --quiet pip setuptools

# --- runtime -------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# git for the config repository, openssh-client for ssh:// remotes, ca-certificates for
# https registries and forges. Debian package versions are not pinned: a stable release only
# ships security fixes, and pinning them breaks the build as soon as the mirror moves on.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && apt-get clean \
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

# Labels last: VERSION, REVISION and CREATED change with every build, and an ARG invalidates the
# build cache of every RUN after it, so declared here they leave the layers above reusable.
ARG PYTHON_IMAGE
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=unknown

LABEL org.opencontainers.image.title="image-updater" \
      org.opencontainers.image.description="Closes the GitOps loop: moves container image tags forward in a config repo." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

VOLUME ["/var/lib/image-updater", "/tmp"]
WORKDIR /var/lib/image-updater
USER 65532:65532
EXPOSE 8080

# Kubernetes uses the chart's probes instead; this serves plain `docker run`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('IMAGE_UPDATER_SERVICE__PORT', '8080'), timeout=4)"]

ENTRYPOINT ["image-updater"]
CMD ["run", "--config", "/etc/image-updater/config.yaml"]
