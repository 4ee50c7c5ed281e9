"""The layers hold at run time too: ``plan``, ``run --once``, ``sources`` and ``test`` never load the server stack,
nor, in push mode, the forge client's httpx (pull requests only; 0.1 s of start-up, ``bench/startup.py``).

``lint-imports`` (in ``.ci/run``) checks the import graph statically; this runs the real commands in a
fresh interpreter and looks at what it actually imported, so a lazy import inside a function, which
the static graph may miss, cannot bring uvicorn back into ``plan``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.gitrepo import make_remote
from tests.support.registry import RegistryServer
from tests.test_end_to_end import DEPLOYMENT, write_config

SERVER_STACK = ("uvicorn", "starlette", "apscheduler", "image_updater.service")
UNUSED = (*SERVER_STACK, "httpx")
PROBE = f"""
import json, sys
from image_updater.cli import main
code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.startswith({UNUSED}))
print("\\nLOADED " + json.dumps(loaded))
sys.exit(code)
"""


def loaded_by(*argv: str) -> tuple[int, list[str]]:
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120)
    marker = [line for line in result.stdout.splitlines() if line.startswith("LOADED ")]
    assert marker, result.stdout + result.stderr
    return result.returncode, json.loads(marker[-1].removeprefix("LOADED "))


@pytest.mark.parametrize("command", [["plan"], ["run", "--once"], ["sources"]])
def test_the_cycle_commands_never_import_the_server_stack(
    command: list[str], registry: RegistryServer, tmp_path: Path
) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", ["1.0.0", "1.1.0"])
    remote = make_remote(tmp_path, {"deploy/web.yaml": DEPLOYMENT.format(host=registry.host)})
    config = write_config(tmp_path, registry, remote, sources="sources: [flux, argocd]\n")
    code, loaded = loaded_by(*command, "--config", str(config))
    assert code == 0
    assert loaded == []


def test_the_test_command_never_imports_the_server_stack(registry: RegistryServer) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", ["1.0.0", "1.1.0"])
    code, loaded = loaded_by("test", f"{registry.host}/team/web", "--semver", "^1", "--insecure")
    assert code == 0
    assert loaded == []


def test_run_does_load_it() -> None:
    # the probe itself can tell: the service command's module brings the stack in
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, image_updater.commands.run; "
            "print(sorted(m for m in sys.modules if m.startswith(('uvicorn', 'apscheduler'))))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "uvicorn" in result.stdout and "apscheduler" in result.stdout
