#!/usr/bin/env bash
# Sets up (apt + pip, see setup.sh) and runs the local demo: a registry on loopback, a config repo with a
# bare remote, one `image-updater run --once`, then the commit and diff it pushed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/demo.py "$@"
