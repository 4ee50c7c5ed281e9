#!/usr/bin/env bash
# Builds the container image from the Dockerfile without a Docker engine or any outside registry:
#
#   bash scripts/build-image.sh [TAG]      # default TAG: localhost/image-updater:dev
#
# buildah (chroot isolation, vfs storage: no daemon, no overlay or user namespaces needed) builds
# with --pull=never on a base made here: mmdebstrap installs Debian bookworm (the release of the
# default python:3.11-slim-bookworm base) with python3, python3-venv, git, openssh-client and
# ca-certificates, and the result is committed as localhost/image-updater-base:<recipe hash>.
# Python packages come from PyPI through the hash-pinned locks, Debian packages from Debian's mirror.
#
# Cache: $IMAGE_UPDATER_BUILD_CACHE (default /var/tmp/image-updater-build, outside the repository)
# holds buildah's storage (overlay where the kernel allows, else vfs). The base is made once per recipe and month (the month is part of the key,
# so security updates arrive without anyone deleting the cache) and the build reuses unchanged
# layers (--layers), so a second run on the same machine rebuilds only what changed. Deleting the
# folder is always safe. The storage options are printed for `buildah` commands of your own.
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=${1:-localhost/image-updater:dev}
CACHE=${IMAGE_UPDATER_BUILD_CACHE:-/var/tmp/image-updater-build}

SUITE=bookworm
MIRRORS=(
  "deb http://deb.debian.org/debian $SUITE main"
  "deb http://deb.debian.org/debian $SUITE-updates main"
  "deb http://deb.debian.org/debian-security $SUITE-security main"
)
# What the Dockerfile expects of a base: python3 with venv, plus what the runtime stage would
# otherwise install (it still runs apt-get, which then finds everything present) and useradd.
PACKAGES=python3,python3-venv,git,openssh-client,ca-certificates,passwd
# Like Docker's slim images: no documentation, man pages or translations.
DPKG_OPTS=(
  "path-exclude=/usr/share/doc/*" "path-include=/usr/share/doc/*/copyright"
  "path-exclude=/usr/share/man/*" "path-exclude=/usr/share/info/*" "path-exclude=/usr/share/locale/*"
)

for tool in buildah mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is missing (bash scripts/setup.sh installs it)" >&2; exit 3; }
done
mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock 9  # one build at a time per cache: concurrent runs wait instead of making the base twice

# overlay where the kernel lets us mount one (layers are diffs: a rebuild with nothing changed
# takes seconds), else vfs (every layer a full copy: slower and larger, but works anywhere).
driver=${IMAGE_UPDATER_BUILD_DRIVER:-}
if [ -z "$driver" ]; then
  probe=$(mktemp -d "$CACHE/probe.XXXXXX"); mkdir "$probe"/{lower,upper,work,merged}
  if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" 2>/dev/null; then
    umount "$probe/merged"; driver=overlay
  else
    driver=vfs
  fi
  rm -rf "$probe"
fi
BUILDAH=(buildah --root "$CACHE/storage-$driver" --runroot "$CACHE/run-$driver" --storage-driver "$driver")

recipe=$(printf '%s\n' "$SUITE" "$PACKAGES" "${MIRRORS[@]}" "${DPKG_OPTS[@]}" "$(date -u +%Y-%m)")
key=$(sha256sum <<<"$recipe" | cut -c1-12)
BASE=localhost/image-updater-base:$SUITE-$key

SECONDS=0
if "${BUILDAH[@]}" inspect --type image "$BASE" >/dev/null 2>&1; then
  echo "build-image: base $BASE is cached"
else
  echo "build-image: making base $BASE (mmdebstrap $SUITE: $PACKAGES)"
  ctr=$("${BUILDAH[@]}" from --pull=never scratch)
  trap '"${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1 || true' EXIT
  rootfs=$("${BUILDAH[@]}" mount "$ctr")
  dpkg_args=(); for opt in "${DPKG_OPTS[@]}"; do dpkg_args+=(--dpkgopt="$opt"); done
  mmdebstrap --quiet --mode=root --variant=minbase --include="$PACKAGES" --aptopt='Acquire::Languages "none"' \
    "${dpkg_args[@]}" "$SUITE" "$rootfs" "${MIRRORS[@]}"
  "${BUILDAH[@]}" umount "$ctr" >/dev/null
  "${BUILDAH[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 --cmd /bin/bash --label "org.opencontainers.image.description=debian $SUITE + $PACKAGES" \
    "$ctr"
  "${BUILDAH[@]}" commit --quiet --rm "$ctr" "$BASE" >/dev/null
  trap - EXIT
  # Older bases (another recipe or month) are garbage now.
  "${BUILDAH[@]}" images --format '{{.Name}}:{{.Tag}}' | grep '^localhost/image-updater-base:' | grep -vxF "$BASE" \
    | xargs -r "${BUILDAH[@]}" rmi >/dev/null 2>&1 || true
  echo "build-image: base made in ${SECONDS}s"
fi

SECONDS=0
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)
iidfile=$CACHE/iid.$$
# --format docker keeps HEALTHCHECK (the OCI config has no field for it); the CA bundle is what
# pip needs behind a TLS-intercepting proxy (a build secret: it never lands in a layer).
# buildah 1.28 reuses a cached LABEL step when only the ARG values in it changed, so the labels
# that change per build are also set with --label (applied to the final image, after the cache).
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
"${BUILDAH[@]}" bud --quiet --layers --pull=never --isolation chroot --format docker \
  --secret id=pip-ca,src="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}" \
  --build-arg PYTHON_IMAGE="$BASE" --build-arg VERSION="$version" --build-arg REVISION="$revision" \
  --label org.opencontainers.image.version="$version" --label org.opencontainers.image.revision="$revision" \
  --label org.opencontainers.image.base.name="$BASE" \
  --iidfile "$iidfile" --tag "$TAG" . >/dev/null
image_id=$(cat "$iidfile"); rm -f "$iidfile"
size=$("${BUILDAH[@]}" images --json "$image_id" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["size"])')
echo "build-image: built $TAG ($image_id) in ${SECONDS}s; $size uncompressed"
# vfs keeps every cached layer as a full copy of the tree: past 8 GB, drop the untagged ones (the
# base and the tagged images stay; the next build re-runs the steps above the base).
if [ "$(du -s --block-size=1G "$CACHE/storage-$driver" | cut -f1)" -gt 8 ]; then
  echo "build-image: cache over 8 GB, pruning cached layers"
  "${BUILDAH[@]}" rmi --prune >/dev/null 2>&1 || true
fi
echo "build-image: for buildah commands of your own: ${BUILDAH[*]}"
# For tests/support/container.py: the image id, then the buildah command with its storage options.
if [ -n "${IMAGE_BUILD_RESULT:-}" ]; then
  printf '%s\n' "$image_id" "${BUILDAH[@]}" > "$IMAGE_BUILD_RESULT"
fi
