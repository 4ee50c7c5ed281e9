"""Twenty ``run --once`` processes and a person push to one branch at once: every update lands exactly once.

Each process owns three images spread over four shared files, so every lost race means re-planning on
someone else's edits of the same files; a person commits meanwhile. The remote takes a moment in its
pre-receive hook, as hosted forges do (their checks), so pushes overlap and lose the race for the ref
*after* the fast-forward check: "[remote rejected] … (failed to update ref)". The bare remote keeps a
reflog, so a force-push (or anything but a fast-forward) would show.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support.gitrepo import BareRemote, git, make_remote
from tests.support.registry import RegistryServer

WRITERS = 20
IMAGES_PER_WRITER = 3
FILES = 4
PERSON_COMMITS = 4
DEADLINE = 300.0  # seconds for everything; a guard against hangs, never a measure of speed


def _images() -> list[tuple[int, str]]:
    return [(w, f"w{w:02d}{chr(ord('a') + k)}") for w in range(WRITERS) for k in range(IMAGES_PER_WRITER)]


def _deployment(host: str, file_no: int) -> str:
    names = [name for index, (_, name) in enumerate(_images()) if index % FILES == file_no]
    containers = "".join(f"        - name: {n}\n          image: {host}/team/{n}:1.0.0\n" for n in names)
    return (
        f"# owner: nobody\n"
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: group-{file_no}\n"
        f"spec:\n  template:\n    spec:\n      containers:\n{containers}"
    )


def _config(tmp_path: Path, registry: RegistryServer, remote: BareRemote, writer: int) -> Path:
    images = "".join(
        f'  - name: {name}\n    image: {registry.host}/team/{name}\n    policy: {{semver: "^1.0"}}\n'
        for w, name in _images()
        if w == writer
    )
    config = tmp_path / f"writer-{writer}.yaml"
    config.write_text(
        f"registries:\n  - {{name: local, url: {registry.url}, prefix: {registry.host}, insecure: true}}\n"
        f"git:\n  url: {remote.url}\n  author: {{name: image-updater, email: bot@example.com}}\n"
        f"  workdir: {tmp_path / f'checkout-{writer}'}\n"
        f"images:\n{images}"
    )
    return config


def _person(remote: BareRemote, scratch: Path, done: list[str], errors: list[str]) -> None:
    """Commit PERSON_COMMITS times: a note and the first line of a shared file; on a lost race, rebase and retry."""
    work = scratch / "person"
    git(scratch, "clone", "-q", remote.url, str(work))
    rng = random.Random(7)
    for n in range(PERSON_COMMITS):
        (work / "notes").mkdir(exist_ok=True)
        (work / "notes" / f"{n}.txt").write_text(f"note {n}\n")
        shared = work / "deploy" / "group-0.yaml"
        lines = shared.read_text().splitlines(keepends=True)
        shared.write_text(f"# owner: person, edit {n}\n" + "".join(lines[1:]))
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", f"person edit {n}")
        for _ in range(100):
            try:
                git(work, "push", "-q", "origin", "HEAD:main")
                break
            except subprocess.CalledProcessError:
                git(work, "pull", "-q", "--rebase", "origin", "main")
                time.sleep(rng.uniform(0.01, 0.2))
        else:
            errors.append(f"person edit {n} never landed")
            return
        done.append(f"person edit {n}")
        time.sleep(rng.uniform(0.05, 0.4))


@pytest.mark.slow
def test_twenty_run_once_processes_and_a_person_all_land_exactly_once(registry: RegistryServer, tmp_path: Path) -> None:
    with registry.pusher() as pusher:
        for _, name in _images():
            pusher.push_tags(f"team/{name}", ["1.0.0", "1.1.0"])
    remote = make_remote(
        tmp_path, {f"deploy/group-{k}.yaml": _deployment(registry.host, k) for k in range(FILES)} | {"README": "hi\n"}
    )
    remote.keep_reflog()
    hook = remote.path / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\ncat >/dev/null\nsleep 0.1\n")  # accepts everything, a little slowly
    hook.chmod(0o755)
    configs = [_config(tmp_path, registry, remote, w) for w in range(WRITERS)]

    person_done: list[str] = []
    person_errors: list[str] = []
    person = threading.Thread(target=_person, args=(remote, tmp_path, person_done, person_errors))
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "image_updater.cli", "run", "--once", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for config in configs
    ]
    person.start()
    deadline = time.monotonic() + DEADLINE
    outputs = []
    for process in writers:
        try:
            out, err = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for other in writers:
                other.kill()
            raise
        outputs.append((process.returncode, out, err))
    person.join(max(1.0, deadline - time.monotonic()))
    assert not person.is_alive(), "the person's commits did not finish"

    failed = [(rc, out[-2000:], err[-2000:]) for rc, out, err in outputs if rc != 0]
    assert failed == []
    assert person_errors == []

    # every update on the remote, exactly once
    files = "".join(remote.read(f"deploy/group-{k}.yaml").decode() for k in range(FILES))
    landed = [name for _, name in _images() if f"team/{name}:1.1.0\n" in files]
    assert len(landed) == WRITERS * IMAGES_PER_WRITER, f"landed {len(landed)} of {WRITERS * IMAGES_PER_WRITER}"
    history = git(remote.path, "log", "-p", "--format=commit %s", "main")
    for _, name in _images():
        assert len(re.findall(rf"^\+ +image: \S+/team/{name}:1\.1\.0$", history, re.M)) == 1, name

    # the person's commits kept, and every update of main a fast-forward
    subjects = remote.log()
    assert [s for s in subjects if s.startswith("person edit")] == sorted(person_done, reverse=True)
    assert len(person_done) == PERSON_COMMITS
    assert remote.read("notes/0.txt") == b"note 0\n"
    assert remote.read("deploy/group-0.yaml").startswith(f"# owner: person, edit {PERSON_COMMITS - 1}\n".encode())
    assert remote.forced_updates() == []
    assert len(remote.ref_updates()) == WRITERS + PERSON_COMMITS  # one push per writer, one per person commit

    attempts = [int(m) for _, out, _ in outputs for m in re.findall(r"pushed commit \w+ after (\d+) attempts", out)]
    # the scenario did what it is for: pushes lost the race for the ref after passing the fast-forward check
    lost_races = sum(err.count("failed to update ref") for _, _, err in outputs)
    assert lost_races > 0
    print(
        f"\nconcurrent writers: landed {len(landed)}/{WRITERS * IMAGES_PER_WRITER}, "
        f"most attempts {max(attempts or [1])}, {lost_races} lost ref races retried"
    )
