"""What alphabetical and numerical order share: ``order`` with ``direction`` (``asc``: greatest wins)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from image_updater.policy.kinds.base import Kind, Ranked

if TYPE_CHECKING:
    from image_updater.policy.models import PolicySpec


class Order(Kind):
    key = "order"

    def chosen_by(self, spec: PolicySpec) -> bool:
        return spec.order == self.name

    def compare(self, spec: PolicySpec, a: Any, b: Any) -> int:
        greater = super().compare(spec, a, b)
        return -greater if spec.direction == "desc" else greater

    def phrase(self, spec: PolicySpec, best: Ranked) -> str:
        extreme = "greatest" if spec.direction == "asc" else "least"
        return f"{extreme} {self.name} value {best.shown!r}"

    def describe(self, spec: PolicySpec) -> str:
        return f"{self.name} {spec.direction}" + (f" of {spec.extract}" if spec.extract else "")
