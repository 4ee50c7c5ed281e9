"""The measured code compiled to bytecode before it is measured, as pip does when it installs a package.

This machine sets ``PYTHONDONTWRITEBYTECODE=1``, so a module whose ``.pyc`` is missing or stale is compiled
from source in every process that imports it: ``plan``'s imports took 0.71–0.73 s from a fresh
``git archive`` of the tree and 0.45–0.49 s once compiled (the same tree, the same machine). No installed
image-updater runs like that (pip and the image's build compile at install), so each script that times
image-updater processes compiles the tree it measures (``--code-root``) first.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def compile_tree(root: Path) -> None:
    """``python -m compileall`` over ``root/image_updater`` (writes ``__pycache__`` whatever the environment says)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "image_updater")], check=True, timeout=300)
