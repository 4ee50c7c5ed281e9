"""Policy kinds: one module each, a ``Kind`` stating its differences, and the table (``table.py``)."""

from image_updater.policy.kinds.base import Kind, Ranked, Rejected
from image_updater.policy.kinds.table import KIND_KEYS, KINDS

__all__ = ["KINDS", "KIND_KEYS", "Kind", "Ranked", "Rejected"]
