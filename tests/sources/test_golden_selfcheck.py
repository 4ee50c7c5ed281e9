"""Self-check of the golden folders (tests/sources/testdata): each is consistent with itself.

NOT the feature test for `sources:` (issue #13) — see golden.py and README.md. It checks that the YAML
parses, every cited file:line holds what the expectation says, the expected edits apply and still parse,
created .argocd-source files have argocd-image-updater's shape, kustomizations render (when kubectl is
installed), and every expected tag is what image-updater's own policy engine picks from registry.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require_shared
from tests.sources import golden


@pytest.mark.parametrize("name", golden.scenario_names())
def test_golden_folder_is_consistent(name: str, tmp_path: Path) -> None:
    scenario = golden.load(name)
    corpus = require_shared("corpus") if scenario.requires_corpus else None
    assert golden.problems(scenario, corpus, tmp_path) == []


def test_every_scenario_of_the_issue_is_present() -> None:
    assert set(golden.scenario_names()) >= {
        "flux-guide",
        "flux-kustomize-helm-example",
        "flux-filter-extract",
        "argocd-kustomize",
        "argocd-helm",
        "argocd-strategies",
        "argocd-imageupdater-crd",
        "mixed",
    }
