"""The fake forges must refuse what the API descriptions refuse, or the other tests prove nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.forge.conftest import ForgeRig, checker_for
from tests.support.forge_gitlab_spec import GITLAB_MRS_SPEC

PULLS = {
    "github": "/repos/acme/config/pulls",
    "gitlab": "/projects/platform%2Fdeploy%2Fconfig/merge_requests",
    "gitea": "/repos/acme/config/pulls",
}
GOOD_CREATE = {
    "github": {"title": "t", "head": "h", "base": "main"},
    "gitlab": {"title": "t", "source_branch": "h", "target_branch": "main"},
    "gitea": {"title": "t", "head": "h", "base": "main"},
}
BAD: dict[str, list[tuple[str, str, dict[str, str], Any, str]]] = {
    # (method, path suffix, query, json body, what the finding must mention)
    "github": [
        ("DELETE", "/1", {}, None, "not found"),
        ("POST", "/../issues/1/comments", {}, {"body": "x"}, "not found"),
        ("PATCH", "/1", {}, {"title": 5}, "not of type 'string'"),
        ("PATCH", "/1", {}, {"state": "merged"}, "is not one of"),
        ("GET", "", {"head": "acme:h", "labels": "x"}, None, "undeclared query parameter 'labels'"),
        ("PATCH", "/1", {}, {"title": "t", "draft": True}, "undeclared body field 'draft'"),
    ],
    "gitlab": [
        ("POST", "", {}, {"title": "t", "source_branch": "h"}, "'target_branch' is a required property"),
        ("PUT", "/1", {}, {}, "should be non-empty"),
        ("PUT", "/1", {}, {"state_event": "closed"}, "is not one of"),
        (
            "POST",
            "",
            {},
            {"title": "t", "source_branch": "h", "target_branch": "m", "labels": ["a"]},
            "not of type 'string'",
        ),
        ("GET", "", {"per_page": "500"}, None, "maximum"),
        ("PATCH", "/1", {}, {"title": "t"}, "not found"),
    ],
    "gitea": [
        (
            "POST",
            "",
            {},
            {"title": "t", "head": "h", "base": "m", "labels": ["bug"]},
            "not of type 'integer'",
        ),
        ("POST", "/1/merge", {}, {"merge_when_checks_succeed": True}, "'do' is a required property"),
        ("GET", "", {"head": "h"}, None, "undeclared query parameter 'head'"),
        ("GET", "", {"limit": "-1"}, None, "minimum"),
        ("PUT", "/1", {}, {"title": "t"}, "not found"),
        (
            "POST",
            "",
            {},
            {"title": "t", "head": "h", "base": "m", "draft": True},
            "undeclared body field 'draft'",
        ),
    ],
}


def auth(rig: ForgeRig) -> dict[str, str]:
    return {
        "github": {"Authorization": f"Bearer {rig.token}"},
        "gitlab": {"PRIVATE-TOKEN": rig.token},
        "gitea": {"Authorization": f"token {rig.token}"},
    }[rig.kind]


def test_requests_outside_the_description_are_refused_and_recorded(rig: ForgeRig) -> None:
    base = rig.api_url + PULLS[rig.kind]
    with httpx.Client(headers=auth(rig)) as http:
        good = http.post(base, json=GOOD_CREATE[rig.kind])
        assert good.status_code == 201, good.text
        for method, suffix, query, body, finding in BAD[rig.kind]:
            rig.fake.violations.clear()
            response = http.request(method, base + suffix, params=query, json=body)
            assert response.status_code == 400, (method, suffix, response.text)
            assert any(finding.lower() in v.lower() for v in rig.fake.violations), (
                finding,
                rig.fake.violations,
            )
    rig.fake.violations.clear()
    assert len(rig.fake.prs) == 1, "a refused request must not change state"


def test_a_response_unlike_the_description_is_recorded(rig: ForgeRig) -> None:
    """Break the fake's own rendering: the response check must notice."""
    pr = rig.fake.new_pr("h", "main", "t", "b", False)
    original = rig.fake.render  # type: ignore[attr-defined]
    rig.fake.render = lambda *a, **k: {**original(*a, **k), "title": 7}  # type: ignore[attr-defined]
    with httpx.Client(headers=auth(rig)) as http:
        http.get(f"{rig.api_url}{PULLS[rig.kind]}/{pr.number}")
    found = list(rig.fake.violations)
    rig.fake.violations.clear()
    assert any("title" in v and "not of type 'string'" in v for v in found), found


def test_requests_without_credentials_break_the_description_security_rules() -> None:
    """Gitea's and GitLab's descriptions require an auth scheme; GitHub's lists none for these paths."""
    for kind in ("gitlab", "gitea"):
        checker = checker_for(kind)
        path = PULLS[kind]
        mock = checker.mock_request("GET", path, [], {}, b"")
        assert any("Security" in p for p in checker.check_request(mock, [], b"")), kind


@pytest.mark.parametrize("kind", ["gitlab", "gitea"])
def test_our_written_and_converted_descriptions_are_valid_openapi(kind: str) -> None:
    spec = GITLAB_MRS_SPEC if kind == "gitlab" else checker_for(kind).spec
    validate(spec)
