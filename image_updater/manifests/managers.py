"""The one table of managers, in priority order: what each finds, in which files, and the words it needs.

A manager is one module (``NAME``, ``FILE_PATTERNS``, ``TOKENS``, ``find``, optionally
``option_tokens``) plus one row here. The file walk reads the files some enabled manager's patterns
name, the prefilter skips a file none of those managers' tokens occur in, and the engine runs on a
file only the managers whose patterns match it: three views of the same declarations (Renovate's
``managerFilePatterns``), so they can no longer disagree as the walk and the prefilter once did about
extensionless ``Kustomization`` files.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType

from image_updater.manifests import argocd, compose, helm, keypaths, kubernetes, kustomize, markers
from image_updater.manifests.locate import FileContext
from image_updater.manifests.model import FoundImage
from image_updater.manifests.settings import ManagerOptions

Finder = Callable[[FileContext], Iterator[FoundImage]]
OptionTokens = Callable[[ManagerOptions], Iterable[bytes]]


@dataclass(frozen=True)
class Manager:
    name: str
    find: Finder
    file_patterns: tuple[str, ...]  # fnmatch patterns on the file's name, case-sensitive
    tokens: tuple[bytes, ...]  # a file holding none of these (nor option_tokens) holds none of its images
    option_tokens: OptionTokens | None = None

    @classmethod
    def of(cls, module: ModuleType) -> Manager:
        return cls(
            module.NAME, module.find, module.FILE_PATTERNS, module.TOKENS, getattr(module, "option_tokens", None)
        )

    def reads(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.file_patterns)

    def all_tokens(self, options: ManagerOptions) -> list[bytes]:
        extra = list(self.option_tokens(options)) if self.option_tokens is not None else []
        return [token for token in (*self.tokens, *extra) if token]


# Priority order: a field claimed by an earlier manager is not reported again by a later one.
MANAGERS: Mapping[str, Manager] = {
    m.name: m for m in map(Manager.of, (markers, keypaths, kubernetes, kustomize, argocd, compose, helm))
}
MANAGER_NAMES = frozenset(MANAGERS)


def enabled(options: ManagerOptions) -> list[Manager]:
    return [m for name, m in MANAGERS.items() if options.managers is None or name in options.managers]


def for_file(name: str, options: ManagerOptions) -> list[Manager]:
    """The enabled managers whose file patterns match ``name`` (a file's base name), in priority order."""
    return [m for m in enabled(options) if m.reads(name)]


@functools.lru_cache(maxsize=64)
def _name_pattern(patterns: frozenset[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in sorted(patterns)))


def file_name_matcher(options: ManagerOptions) -> Callable[[str], bool]:
    """Whether any enabled manager reads a file of this name: what the file walk keeps."""
    pattern = _name_pattern(frozenset(p for m in enabled(options) for p in m.file_patterns))
    return lambda name: pattern.match(name) is not None


__all__ = ["MANAGERS", "MANAGER_NAMES", "Manager", "enabled", "file_name_matcher", "for_file"]
