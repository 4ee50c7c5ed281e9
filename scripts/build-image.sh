#!/usr/bin/env bash
# Builds the container image from the Dockerfile without a Docker engine or any outside registry:
#
#   bash scripts/build-image.sh [TAG]      # default TAG: localhost/image-updater:dev
#
# buildah (chroot isolation: no daemon, no runtime, no user namespaces) builds with --pull=never
# on a base made here: mmdebstrap installs Debian bookworm (the release of the default
# python:3.11-slim-bookworm base) with python3, python3-venv, git, openssh-client and
# ca-certificates, committed as localhost/image-updater-base:<suite>-<recipe hash>. Python packages
# come from PyPI through the hash-pinned locks, Debian packages from Debian's mirror.
#
# Cache: $IMAGE_UPDATER_BUILD_CACHE (default /var/tmp/image-updater-build, outside the repository)
# holds buildah's storage: overlay where the kernel lets us mount one, else vfs (works anywhere,
# but every layer is a full copy: a no-change rebuild took 92 s with vfs, 5 s with overlay).
# The base is made once per recipe and month (the month is part of the key, so security updates
# arrive without anyone deleting the cache); the build reuses unchanged layers (--layers), so a
# second run rebuilds only what changed. Deleting the folder is always safe.
# Environment: IMAGE_UPDATER_BUILD_DRIVER=vfs|overlay forces a storage driver; IMAGE_BUILD_RESULT
# names a file to receive the image id and the buildah command line with its storage options.
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
MMDEBSTRAP_OPTS=(
  --mode=root --variant=minbase --include="$PACKAGES" --aptopt='Acquire::Languages "none"'
  # Like Docker's slim images: no documentation, man pages or translations.
  --dpkgopt="path-exclude=/usr/share/doc/*" --dpkgopt="path-include=/usr/share/doc/*/copyright"
  --dpkgopt="path-exclude=/usr/share/man/*" --dpkgopt="path-exclude=/usr/share/info/*"
  --dpkgopt="path-exclude=/usr/share/locale/*"
)
BASE_CONFIG=(--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env LANG=C.UTF-8 --cmd /bin/bash)

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

# The cache key: everything that goes into the base, and the month.
recipe=$(printf '%s\n' "$SUITE" "${MMDEBSTRAP_OPTS[@]}" "${MIRRORS[@]}" "${BASE_CONFIG[@]}" "$(date -u +%Y-%m)")
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
  mmdebstrap --quiet "${MMDEBSTRAP_OPTS[@]}" "$SUITE" "$rootfs" "${MIRRORS[@]}"
  "${BUILDAH[@]}" umount "$ctr" >/dev/null
  "${BUILDAH[@]}" config "${BASE_CONFIG[@]}" --label "org.opencontainers.image.description=debian $SUITE + $PACKAGES" "$ctr"
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
