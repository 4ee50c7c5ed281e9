"""``python -m image_updater``: the same command line as the ``image-updater`` script."""

from __future__ import annotations

import sys

from image_updater.cli import entry

if __name__ == "__main__":
    sys.exit(entry())
