"""A ``git`` on PATH that stops image-updater at one stage of its work, so a test can ``kill -9`` it there.

The wrapper execs the real git for everything; only while ``IU_STALL`` names a stage (and the flag file
``IU_STALL_FLAG`` does not exist yet) does it make real git pause *inside* that stage, holding what git
holds there, then touches the flag so the test knows when to kill:

==========  =====================================================================================
clone       the first fetch into an empty checkout (or ``git clone``): a slow ``upload-pack``
fetch       a fetch into an existing checkout: a slow ``upload-pack``
checkout    a smudge filter while ``checkout`` writes files (``index.lock`` held, the tree half written)
edit        before ``git add``: the edits are in the work tree, nothing is staged
add         a clean filter while ``add`` stages the edits (``index.lock`` held)
commit      the ``reference-transaction`` hook while the commit moves the branch (``HEAD.lock`` and the
            branch's lock held)
push        the ``reference-transaction`` hook while push updates ``refs/remotes/origin/*`` (the remote
            has the commit; the tracking ref's lock held)
==========  =====================================================================================

The repository served must carry a ``.gitattributes`` of ``* filter=stall`` for the two filter stages;
without the wrapper's ``-c filter.stall.*`` the attribute means nothing to git.
"""

from __future__ import annotations

import shutil
from pathlib import Path

STAGES = ("clone", "fetch", "checkout", "edit", "add", "commit", "push")
SLEEP = 120  # the killer strikes long before; a guard so a forgotten stall still ends

_WRAPPER = f"""#!/bin/bash
real="$IU_REAL_GIT"; tools="$IU_STALL_TOOLS"; stage="${{IU_STALL:-}}"; flag="${{IU_STALL_FLAG:-/nonexistent}}"
if [ -z "$stage" ] || [ -e "$flag" ]; then exec "$real" "$@"; fi
args=("$@"); i=0
while [ $i -lt ${{#args[@]}} ]; do
  case "${{args[$i]}}" in
    -c|-C) i=$((i + 2)) ;;
    -*) i=$((i + 1)) ;;
    *) break ;;
  esac
done
sub="${{args[$i]}}"; head=("${{args[@]:0:$i}}"); rest=("${{args[@]:$((i + 1))}}")
has_head() {{ "$real" rev-parse -q --verify HEAD >/dev/null 2>&1; }}
case "$stage:$sub" in
  clone:clone) exec "$real" "${{head[@]}}" clone --upload-pack="$tools/upload-pack" "${{rest[@]}}" ;;
  clone:fetch) has_head || exec "$real" "${{head[@]}}" fetch --upload-pack="$tools/upload-pack" "${{rest[@]}}" ;;
  fetch:fetch) has_head && exec "$real" "${{head[@]}}" fetch --upload-pack="$tools/upload-pack" "${{rest[@]}}" ;;
  checkout:checkout) exec "$real" -c filter.stall.smudge="$tools/filter" "$@" ;;
  edit:add) : > "$flag"; sleep {SLEEP} ;;
  add:add) exec "$real" -c filter.stall.clean="$tools/filter" "$@" ;;
  commit:commit | push:push) exec "$real" -c core.hooksPath="$tools/hooks" "$@" ;;
esac
exec "$real" "$@"
"""

_UPLOAD_PACK = f"""#!/bin/sh
: > "$IU_STALL_FLAG"; sleep {SLEEP}; exec "$IU_REAL_GIT" upload-pack "$@"
"""

_FILTER = f"""#!/bin/sh
: > "$IU_STALL_FLAG"; sleep {SLEEP}; exec cat
"""

_REFERENCE_TRANSACTION = f"""#!/bin/sh
input=$(cat)
[ "$1" = prepared ] || exit 0
case "$IU_STALL" in
  commit) wanted=" refs/heads/" ;;
  push) wanted=" refs/remotes/" ;;
  *) exit 0 ;;
esac
if printf '%s\\n' "$input" | grep -q "$wanted"; then : > "$IU_STALL_FLAG"; sleep {SLEEP}; fi
exit 0
"""


def install(base: Path) -> dict[str, str]:
    """Write the wrapper under ``base``; return the environment that puts it first on PATH (no stall set)."""
    real = shutil.which("git")
    assert real is not None
    tools = base / "tools"
    (tools / "hooks").mkdir(parents=True)
    (base / "bin").mkdir()
    for path, text in (
        (base / "bin" / "git", _WRAPPER),
        (tools / "upload-pack", _UPLOAD_PACK),
        (tools / "filter", _FILTER),
        (tools / "hooks" / "reference-transaction", _REFERENCE_TRANSACTION),
    ):
        path.write_text(text)
        path.chmod(0o755)
    return {"IU_REAL_GIT": real, "IU_STALL_TOOLS": str(tools), "PATH_PREFIX": str(base / "bin")}
