"""Conformance over every extension table (Renovate's ``manager/index.spec.ts``): one table per kind of
extension is the single source, and each kind in it is accepted by the settings, refused when unknown,
and documented; the docs name no kind the table lacks.

Adding a kind to one place only fails here: a table row without docs, docs without a row, a settings
check that is not derived from the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from image_updater.forge import FORGES, ForgeSettings
from image_updater.manifests import MANAGERS, ManifestSettings
from image_updater.policy import KIND_KEYS, KINDS, PolicySpec
from image_updater.registry import RegistrySettings
from image_updater.registry.credentials import CREDENTIAL_SOURCES
from image_updater.webhooks import SENDERS, WebhookReceiverSettings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def section(doc: str, heading: str) -> str:
    """The text of ``doc`` from the heading ``heading`` to the next heading of the same or a higher level."""
    text = (DOCS / doc).read_text()
    start = text.index(heading)
    level = len(heading) - len(heading.lstrip("#"))
    ends = [m.start() for m in re.finditer(rf"^#{{1,{level}}} ", text[start + len(heading) :], re.M)]
    return text[start : start + len(heading) + (ends[0] if ends else len(text))]


def first_cells(text: str) -> set[str]:
    """Backticked names in the first cell of each Markdown table row."""
    return {name for row in re.findall(r"^\| *([^|]+?) *\|", text, re.M) for name in re.findall(r"`([^`]+)`", row)}


def backticked(text: str) -> set[str]:
    return set(re.findall(r"`([a-z_]+):?`", text))


def refused(build: Callable[[], BaseModel]) -> bool:
    try:
        build()
    except ValidationError:
        return True
    return False


# --- webhook senders ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sender", sorted(SENDERS))
def test_every_sender_is_a_receiver_type(sender: str) -> None:
    assert WebhookReceiverSettings(name="r", type=sender, secret_env="X").type == sender


def test_a_type_no_sender_defines_is_refused() -> None:
    assert refused(lambda: WebhookReceiverSettings(name="r", type="bitbucket", secret_env="X"))


def test_the_webhook_docs_describe_exactly_the_senders() -> None:
    assert first_cells(section("webhooks.md", "## What each type reads")) == set(SENDERS)


# --- forges ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(FORGES))
def test_every_forge_is_a_kind_the_settings_accept(kind: str) -> None:
    assert ForgeSettings(kind=kind).kind == kind
    assert FORGES[kind].kind == kind  # the row's key is what the class says it is


def test_a_forge_kind_the_table_lacks_is_refused() -> None:
    assert refused(lambda: ForgeSettings(kind="bitbucket"))


def test_the_forge_docs_name_exactly_the_forges() -> None:
    kind_row = next(
        row for row in section("pull-requests.md", "## Settings").splitlines() if row.startswith("| `kind`")
    )
    assert set(re.findall(r"`([a-z]+)`", kind_row.split("|")[3])) == set(FORGES)


# --- policy kinds ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_policy_kind_is_chosen_by_its_example(name: str) -> None:
    spec = PolicySpec(**KINDS[name].example)
    assert spec.kind == name
    assert spec.describe()


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_policy_kind_has_a_section_in_the_policy_docs(name: str) -> None:
    headings = re.findall(r"^### (.+)$", section("policies.md", "## Policy kinds"), re.M)
    assert any(re.search(rf"\b{name}\b", heading) for heading in headings), headings


def test_the_policy_docs_list_exactly_the_kind_keys() -> None:
    keys_line = next(line for line in (DOCS / "policies.md").read_text().splitlines() if "exactly one kind:" in line)
    assert keys_line.split("exactly one kind:")[1].replace(" ", "").split("|") == list(KIND_KEYS)


def test_a_spec_naming_no_kind_lists_the_table_keys() -> None:
    with pytest.raises(ValidationError, match="exactly one of " + ", ".join(KIND_KEYS)):
        PolicySpec()


# --- managers --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MANAGERS))
def test_every_manager_can_be_enabled_and_declares_its_files(name: str) -> None:
    assert ManifestSettings(managers=[name]).managers == [name]
    manager = MANAGERS[name]
    assert manager.file_patterns and manager.name == name
    assert manager.tokens or manager.option_tokens is not None


def test_a_manager_the_table_lacks_is_refused() -> None:
    assert refused(lambda: ManifestSettings(managers=["jsonnet"]))


def test_the_file_format_docs_describe_exactly_the_managers() -> None:
    assert first_cells(section("file-formats.md", "## Managers")) == set(MANAGERS)


# --- registry credential sources -------------------------------------------------------------------


def _registry(credentials: str) -> RegistrySettings:
    return RegistrySettings(name="r", url="https://r.example", prefix="r.example", credentials=credentials)


@pytest.mark.parametrize("kind", sorted(CREDENTIAL_SOURCES))
def test_every_credential_source_is_accepted(kind: str) -> None:
    assert _registry(f"{kind}:target").credentials == f"{kind}:target"


def test_a_credential_kind_the_table_lacks_is_refused() -> None:
    assert refused(lambda: _registry("vault:secret/x"))


def test_the_registry_docs_name_exactly_the_credential_sources() -> None:
    line = next(
        line
        for line in section("registries.md", "## Where credentials come from").splitlines()
        if "credentials:" in line and "else" in line
    )
    assert backticked(line) - {"credentials"} == set(CREDENTIAL_SOURCES)


def _tables() -> Iterable[tuple[str, Any]]:
    return [
        ("senders", SENDERS),
        ("forges", FORGES),
        ("kinds", KINDS),
        ("managers", MANAGERS),
        ("credential sources", CREDENTIAL_SOURCES),
    ]


@pytest.mark.parametrize(("what", "table"), _tables())
def test_no_table_is_empty_or_keyed_by_blanks(what: str, table: Any) -> None:
    assert table and all(isinstance(key, str) and key.strip() == key and key for key in table), what
