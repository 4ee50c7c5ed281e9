"""Recursive anchors, merge-key and alias bombs, deep merge chains: reported by path and line, never a stall.

The budget counts nodes as if every alias were expanded (as PyYAML and Go's yaml.v3 do when they load
the file), so a bomb is refused while composing, before any manager walks it.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from image_updater.errors import ManifestParseError
from image_updater.manifests import ManagerOptions, ManifestSettings
from tests.manifests.util import parse
from tests.support.gitrepo import make_remote
from tests.support.registry import RegistryServer

RECURSIVE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: loop}
spec:
  template:
    spec: &s
      <<: *s
      containers:
        - {name: web, image: nginx:1.0}
"""

RECURSIVE_LIST = """\
apiVersion: v1
kind: Pod
metadata: {name: loop}
spec:
  containers: &c
    - {name: web, image: nginx:1.0}
    - *c
"""


def merge_bomb(levels: int = 9) -> str:
    """Each level merges the previous one nine times: 9**levels keys to walk, in about 600 bytes."""
    names = [chr(ord("a") + n) for n in range(levels)]
    lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata: {name: bomb}", f"x-{names[0]}: &{names[0]} {{k: v}}"]
    for previous, name in itertools.pairwise(names):
        lines.append(f"x-{name}: &{name} {{<<: [{', '.join([f'*{previous}'] * 9)}]}}")
    lines += ["spec:", "  template:", "    spec:", f"      <<: *{names[-1]}", "      containers:"]
    lines.append("        - {name: web, image: nginx:1.0}")
    return "\n".join(lines) + "\n"


ALIAS_BOMB = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: laughs}
a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
image: nginx:1.0
"""


def merge_chain(length: int) -> str:
    """A merges B merges C … a thousand deep: legal YAML, too deep for a recursive walk."""
    lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata: {name: chain}", "x-0: &m0 {k0: v}"]
    lines += [f"x-{n}: &m{n} {{<<: *m{n - 1}, k{n}: v}}" for n in range(1, length)]
    lines += ["spec:", "  template:", "    spec:", f"      <<: *m{length - 1}", "      containers:"]
    lines.append("        - {name: web, image: nginx:1.0}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (RECURSIVE, 7, "alias *s is inside the collection it names (&s, line 6): a recursive structure"),
        (RECURSIVE_LIST, 7, "alias *c is inside the collection it names (&c, line 5)"),
        (merge_bomb(), 10, "expand this file to more than 1000000 nodes (manifests.max_nodes)"),
        (ALIAS_BOMB, 9, "expand this file to more than 1000000 nodes (manifests.max_nodes)"),
    ],
    ids=["recursive-merge", "recursive-list", "merge-bomb", "alias-bomb"],
)
def test_a_recursive_or_exploding_file_is_refused_naming_its_path_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ManifestParseError) as caught:
        parse(text, path="deploy/evil.yaml")
    assert str(caught.value).startswith(f"deploy/evil.yaml:{line}: ")
    assert words in str(caught.value)


def test_the_node_budget_is_a_setting_and_a_smaller_bomb_fits_a_larger_budget() -> None:
    small = merge_bomb(levels=5)  # 9**4 merges: fine for a file, if the budget allows
    with pytest.raises(ManifestParseError, match="more than 1000 nodes"):
        parse(small, options=ManagerOptions(max_nodes=1000))
    found = parse(small, options=ManagerOptions(max_nodes=100_000)).images
    assert [f.reference.name for f in found if f.reference] == ["nginx"]


def test_a_merge_chain_deeper_than_the_recursion_limit_is_read() -> None:
    text = merge_chain(sys.getrecursionlimit() + 200)
    manifest = parse(text, options=ManagerOptions(max_nodes=20_000_000))
    assert [f.reference.name for f in manifest.images if f.reference] == ["nginx"]


def test_a_file_over_its_time_budget_is_refused_naming_the_setting() -> None:
    containers = "".join(f"        - {{name: c{n}, image: nginx:1.{n}}}\n" for n in range(3000))
    text = f"apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n{containers}"
    with pytest.raises(ManifestParseError, match=r"took longer than 1e-06s \(manifests.parse_timeout\)"):
        parse(text, path="deploy/big.yaml", options=ManagerOptions(parse_timeout=1e-6))
    assert len(parse(text).images) == 3000  # the default budget reads it
    assert ManifestSettings(parse_timeout="2s").parse_timeout == 2.0


@pytest.mark.slow
def test_a_cycle_reports_bombs_by_path_and_line_and_still_updates_the_rest(
    registry: RegistryServer, tmp_path: Path
) -> None:
    with registry.pusher() as pusher:
        pusher.push_tags("team/web", ["1.0.0", "1.1.0"])
    image = f"{registry.host}/team/web"
    healthy = f"apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - {{name: web, image: {image}:1.0.0}}\n"
    remote = make_remote(
        tmp_path,
        {
            "deploy/web.yaml": healthy,
            "deploy/recursive.yaml": RECURSIVE.replace("nginx:1.0", f"{image}:1.0.0"),
            "deploy/bomb.yaml": merge_bomb().replace("nginx:1.0", f"{image}:1.0.0"),
        },
    )
    config = tmp_path / "config.yaml"
    config.write_text(
        f"registries:\n  - {{name: local, url: {registry.url}, prefix: {registry.host}, insecure: true}}\n"
        f"git:\n  url: {remote.url}\n  workdir: {tmp_path / 'checkout'}\n"
        f'images:\n  - name: web\n    image: {image}\n    policy: {{semver: "^1.0"}}\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "image_updater.cli", "run", "--once", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,  # the old walk of this bomb ran for minutes; a guard, not a measure
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in out, out[-3000:]
    assert "error: deploy/recursive.yaml:7: alias *s is inside the collection it names" in out
    assert "error: deploy/bomb.yaml:10: aliases and merge keys expand this file to more than 1000000 nodes" in out
    assert remote.read("deploy/web.yaml") == healthy.replace(":1.0.0", ":1.1.0").encode()
    assert b":1.0.0" in remote.read("deploy/bomb.yaml") and b":1.0.0" in remote.read("deploy/recursive.yaml")
