"""Real Git remotes for tests: a bare repository seeded with files, and a second clone acting as a person."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Human",
    "GIT_AUTHOR_EMAIL": "human@example.com",
    "GIT_COMMITTER_NAME": "Human",
    "GIT_COMMITTER_EMAIL": "human@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/tmp",
}


def git(cwd: Path, *args: str) -> str:
    import os

    env = {**os.environ, **GIT_ENV}
    out = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip()


@dataclass
class BareRemote:
    """A bare repository at ``path``; ``url`` is its file:// URL."""

    path: Path

    @property
    def url(self) -> str:
        return f"file://{self.path}"

    def clone(self, dest: Path) -> Path:
        git(dest.parent, "clone", "-q", self.url, str(dest))
        return dest

    def read(self, path: str, ref: str = "main") -> bytes:
        out = subprocess.run(["git", "show", f"{ref}:{path}"], cwd=self.path, check=True, capture_output=True)
        return out.stdout

    def log(self, ref: str = "main") -> list[str]:
        return git(self.path, "log", "--format=%s", ref).splitlines()

    def rev(self, ref: str = "main") -> str:
        return git(self.path, "rev-parse", ref)

    def keep_reflog(self) -> None:
        """Record every update of every ref (bare repositories do not by default), for ``ref_updates``."""
        git(self.path, "config", "core.logAllRefUpdates", "always")

    def ref_updates(self, ref: str = "refs/heads/main") -> list[tuple[str, str]]:
        """(old, new) of every update of ``ref`` since ``keep_reflog``, oldest first."""
        log = self.path / "logs" / ref
        if not log.exists():
            return []
        return [tuple(line.split()[:2]) for line in log.read_text().splitlines() if line]  # type: ignore[misc]

    def forced_updates(self, ref: str = "refs/heads/main") -> list[tuple[str, str]]:
        """The updates of ``ref`` that were not fast-forwards (a force-push), or that skipped one."""
        updates = self.ref_updates(ref)
        bad = []
        for index, (old, new) in enumerate(updates):
            follows = index == 0 or updates[index - 1][1] == old
            out = subprocess.run(["git", "merge-base", "--is-ancestor", old, new], cwd=self.path)
            if not follows or out.returncode != 0:
                bad.append((old, new))
        return bad

    def branches(self) -> list[str]:
        return git(self.path, "for-each-ref", "--format=%(refname:short)", "refs/heads").splitlines()

    def commit_as_human(
        self, scratch: Path, files: Mapping[str, bytes | str], message: str, branch: str = "main"
    ) -> str:
        """Clone, write ``files``, commit and push: someone else moving the remote under us."""
        work = scratch / f"human-{time.monotonic_ns()}"
        git(scratch, "clone", "-q", "--branch", branch, self.url, str(work))
        for name, content in files.items():
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode() if isinstance(content, str) else content)
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", message)
        git(work, "push", "-q", "origin", f"HEAD:{branch}")
        sha = git(work, "rev-parse", "HEAD")
        shutil.rmtree(work, ignore_errors=True)
        return sha


def make_remote(base: Path, files: Mapping[str, bytes | str], *, name: str = "config.git") -> BareRemote:
    """A bare remote whose ``main`` holds ``files`` in one initial commit."""
    bare = base / name
    git(base, "init", "-q", "--bare", "--initial-branch=main", str(bare))
    seed = base / f"{name}-seed"
    git(base, "init", "-q", "--initial-branch=main", str(seed))
    for rel, content in files.items():
        target = seed / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "initial config")
    git(seed, "push", "-q", str(bare), "main")
    shutil.rmtree(seed)
    return BareRemote(bare)


@dataclass
class GitDaemon:
    """``git daemon`` serving a folder over git:// with pushes enabled, for remote transport tests."""

    process: subprocess.Popen[bytes]
    port: int
    base: Path

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(5)


def start_git_daemon(base: Path) -> GitDaemon:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            "--enable=receive-pack",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={base}",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return GitDaemon(proc, port, base)
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("git daemon did not start")
