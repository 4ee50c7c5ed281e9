"""The one table of policy kinds; ``PolicySpec``, ``select`` and the docs' conformance test all read it."""

from collections.abc import Mapping

from image_updater.policy.kinds.alphabetical import ALPHABETICAL
from image_updater.policy.kinds.base import Kind
from image_updater.policy.kinds.digest import DIGEST
from image_updater.policy.kinds.newest_build import NEWEST_BUILD
from image_updater.policy.kinds.numerical import NUMERICAL
from image_updater.policy.kinds.semver import SEMVER

KINDS: Mapping[str, Kind] = {kind.name: kind for kind in (SEMVER, ALPHABETICAL, NUMERICAL, NEWEST_BUILD, DIGEST)}

#: The ``policy:`` keys that select a kind, in table order (``order`` selects both orders).
KIND_KEYS: tuple[str, ...] = tuple(dict.fromkeys(kind.key for kind in KINDS.values()))
