#!/usr/bin/env bash
# Sets up (apt + pip, see setup.sh) and runs the whole test suite against real registries and git remotes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -q "$@"
