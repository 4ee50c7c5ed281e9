"""A target's parse cache kept on disk between processes, so a second ``plan`` starts where the first ended.

Within a process the facts and verified renders are kept in memory (``ParseCache``); a new process (the
next ``plan``, a restarted service) would parse and verify every file again. On the 200-file repository of
``bench/renovate.py`` that is 0.45 s of indexing and 0.23 s of rendering of a ≈ 1.8 s ``plan``; the stored
cache is 142 KB and loads in 4 ms. Entries stay keyed by each file's digest, so a file whose bytes changed
is parsed again, and the whole store is dropped when the code that wrote it is not the code running
(``code_fingerprint``).

The store is a pickle: loading one runs whatever it names, so it is only read from a folder and a file
owned by this user and writable by nobody else (created 0700 / 0600); anything else is ignored with a
warning, as is a file that cannot be read back.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from image_updater.cycle.facts import FileFacts
from image_updater.cycle.index import ParseCache
from image_updater.logs import get_logger
from image_updater.manifests import ManagerOptions, TextEdit

log = get_logger(__name__)

FORMAT = 1
_PACKAGE = Path(__file__).resolve().parents[1]


@functools.cache
def code_fingerprint() -> str:
    """The running code, by every module's path, size and modification time (≈ 150 ``stat`` calls, 1 ms)."""
    parts = [f"format {FORMAT}", sys.version]
    for folder, dirs, files in os.walk(_PACKAGE):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                parts.append(f"{os.path.relpath(os.path.join(folder, name), _PACKAGE)} {st.st_size} {st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class _Stored:
    code: str
    options: ManagerOptions
    entries: dict[str, FileFacts]
    renders: dict[tuple[str, bytes, tuple[object, ...]], TextEdit | str]


class FactsStore:
    """One target's stored parse cache: ``load`` once before its first index, ``save`` after a cycle that
    learnt something (``ParseCache.dirty``)."""

    def __init__(self, folder: Path, target: str, key: str) -> None:
        digest = hashlib.sha256(f"{target} {key}".encode()).hexdigest()[:12]
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in target)
        self.folder = folder
        self.path = folder / f"facts-{name}-{digest}.pickle"
        self._saved: frozenset[object] = frozenset()  # the renders the store holds

    def load(self, cache: ParseCache) -> bool:
        """Fill ``cache`` from the store; False (with a warning for anything but a missing file) when not."""
        unsafe = _unsafe(self.folder, dir_=True)
        if unsafe is None:
            try:
                fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            except FileNotFoundError:
                return False
            except OSError as exc:
                log.warning("parse cache not read", path=str(self.path), error=exc.strerror)
                return False
            with os.fdopen(fd, "rb") as handle:
                unsafe = _unsafe_stat(os.fstat(handle.fileno()), dir_=False)
                if unsafe is None:
                    return self._take(handle.read(), cache)
        elif unsafe == "missing":
            return False
        log.warning("parse cache ignored", path=str(self.path), why=unsafe)
        return False

    def _take(self, data: bytes, cache: ParseCache) -> bool:
        try:
            stored = pickle.loads(data)  # a file only this user can write (see the module docstring)
        except Exception as exc:  # a damaged store is only a slower cycle
            log.warning("parse cache not readable; parsing again", path=str(self.path), error=repr(exc)[:200])
            return False
        if not isinstance(stored, _Stored) or stored.code != code_fingerprint():
            log.info("parse cache made by other code; parsing again", path=str(self.path))
            return False
        cache.options, cache.entries = stored.options, dict(stored.entries)
        cache.renders.update(stored.renders)
        cache.dirty = False
        self._saved = frozenset(cache.renders)
        return True

    def save(self, cache: ParseCache) -> None:
        """Write atomically (a reader sees the old store or the new one); a failure is a warning, not an error."""
        if cache.options is None or not (cache.dirty or self._saved != cache.renders.keys()):
            return
        stored = _Stored(code_fingerprint(), cache.options, cache.entries, dict(cache.renders))
        unsafe = private_folder(self.folder)
        if unsafe is not None:
            log.warning("parse cache not written", path=str(self.path), why=unsafe)
            return
        try:
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{self.path.name}.")  # created 0600
            try:
                with os.fdopen(fd, "wb") as handle:
                    pickle.dump(stored, handle, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("parse cache not written", path=str(self.path), error=exc.strerror or str(exc))
            return
        cache.dirty = False
        self._saved = frozenset(stored.renders)


def private_folder(path: Path) -> str | None:
    """Create ``path`` (0700) unless it exists; why someone else could write there, or None when no one can."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        return exc.strerror or str(exc)
    return _unsafe(path, dir_=True)


def _unsafe(path: Path, *, dir_: bool) -> str | None:
    try:
        st = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return exc.strerror or str(exc)
    return _unsafe_stat(st, dir_=dir_)


def _unsafe_stat(st: os.stat_result, *, dir_: bool) -> str | None:
    """Why a store there could be written by someone else (None: it cannot)."""
    kind = "folder" if dir_ else "file"
    if (stat.S_ISDIR(st.st_mode) if dir_ else stat.S_ISREG(st.st_mode)) is False:
        return f"not a {kind}"
    if st.st_uid != os.geteuid():
        return f"the {kind} belongs to uid {st.st_uid}, not to this process's uid {os.geteuid()}"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"the {kind} is writable by other users (mode {stat.S_IMODE(st.st_mode):o})"
    return None
