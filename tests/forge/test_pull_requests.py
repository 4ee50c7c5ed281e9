"""ensure/close against each fake forge over real HTTP; every request is checked against its description."""

from __future__ import annotations

import logging

import pytest

from image_updater.delivery import (
    Change,
    PullRequestSettings,
    ensure_pull_request,
    find_declined_pull_request,
    render_pull_request,
    update_key,
    update_key_of,
)
from image_updater.errors import ConfigError, ForgeError
from tests.forge.conftest import ForgeRig
from tests.support.forge_fake import StoredPR
from tests.support.forge_fake_gitea import FakeGitea

HEAD, BASE = "image-updater/nginx", "main"


def row(image: str, old: str, new: str, policy: str, reason: str) -> Change:
    return Change(image, old, new, "deploy.yaml", 1, policy, reason)


ROWS = [row("docker.io/library/nginx", "1.25.3", "1.25.4", "semver ~1.25", "newest patch")]
NEWER = [row("docker.io/library/nginx", "1.25.3", "1.25.5", "semver ~1.25", "newest patch")]
UPDATE_CALL = {
    "github": ("PATCH", r"/repos/acme/config/pulls/\d+"),
    "gitlab": ("PUT", r"/projects/[^/]+/merge_requests/\d+"),
    "gitea": ("PATCH", r"/repos/acme/config/pulls/\d+"),
}


def updates(rig: ForgeRig) -> int:
    return len(rig.fake.calls(*UPDATE_CALL[rig.kind]))


async def test_ten_cycles_one_pull_request_updated_at_most_once(rig: ForgeRig) -> None:
    settings = PullRequestSettings()
    forge = rig.client()
    try:
        title, body = render_pull_request(settings, "nginx", ROWS)
        actions = [(await ensure_pull_request(forge, HEAD, BASE, title, body, settings))[1] for _ in range(10)]
        assert actions == ["opened"] + ["unchanged"] * 9
        assert updates(rig) == 0

        title2, body2 = render_pull_request(settings, "nginx", NEWER)
        results = [await ensure_pull_request(forge, HEAD, BASE, title2, body2, settings) for _ in range(10)]
        assert [action for _, action in results] == ["updated"] + ["unchanged"] * 9
        assert updates(rig) == 1
    finally:
        await forge.aclose()
    (stored,) = rig.fake.prs.values()
    assert (stored.state, stored.head, stored.base, stored.title) == (
        "open",
        HEAD,
        BASE,
        "Update docker.io/library/nginx to 1.25.5",
    )
    assert "`1.25.3` → `1.25.5`" in stored.body
    assert {pr.number for pr, _ in results} == {stored.number}


async def test_close_leaves_a_note_and_a_later_cycle_opens_a_fresh_one(rig: ForgeRig) -> None:
    settings = PullRequestSettings()
    forge = rig.client()
    try:
        title, body = render_pull_request(settings, "nginx", ROWS)
        pr, _ = await ensure_pull_request(forge, HEAD, BASE, title, body, settings)
        await forge.close_pull_request(pr, "nginx is already at 1.25.4 on main: nothing left to change.")
        assert await forge.find_open_pull_request(HEAD, BASE) is None
        again, action = await ensure_pull_request(forge, HEAD, BASE, title, body, settings)
    finally:
        await forge.aclose()
    closed = rig.fake.prs[pr.number]
    assert closed.state == "closed" and closed.title == f"{title} - autoclosed"  # not a person's decline
    assert closed.body.startswith("nginx is already at 1.25.4 on main")
    assert "| Image | Change | Policy | Why |" in closed.body
    assert action == "opened" and again.number != pr.number
    assert [p.number for p in rig.fake.open_prs()] == [again.number]


async def test_labels_reviewers_and_draft_are_applied_and_draft_survives_updates(rig: ForgeRig) -> None:
    reviewers = ["42", "43"] if rig.kind == "gitlab" else ["alice", "acme/platform"]
    settings = PullRequestSettings(labels=["dependencies", "images"], reviewers=reviewers, draft=True)
    forge = rig.client()
    try:
        title, body = render_pull_request(settings, "nginx", ROWS)
        pr, _ = await ensure_pull_request(forge, HEAD, BASE, title, body, settings)
        _, again = await ensure_pull_request(forge, HEAD, BASE, title, body, settings)
        title2, body2 = render_pull_request(settings, "nginx", NEWER)
        updated, changed = await ensure_pull_request(forge, HEAD, BASE, title2, body2, settings)
    finally:
        await forge.aclose()
    stored = rig.fake.prs[pr.number]
    assert (pr.title, pr.draft, again, changed) == (title, True, "unchanged", "updated")
    assert updated.title == title2 and updated.draft
    assert stored.draft, "an update must not turn a draft into a ready pull request"
    assert stored.labels == ["dependencies", "images"]
    if rig.kind == "gitlab":
        assert stored.reviewers == ["42", "43"]
    else:
        assert (stored.reviewers, stored.team_reviewers) == (["alice"], ["platform"])


async def test_auto_merge_where_the_forge_offers_it(rig: ForgeRig) -> None:
    settings = PullRequestSettings(auto_merge=True)
    forge = rig.client()
    try:
        title, body = render_pull_request(settings, "nginx", ROWS)
        if rig.kind == "github":
            with pytest.raises(ConfigError, match="auto_merge"):
                await ensure_pull_request(forge, HEAD, BASE, title, body, settings)
            assert rig.fake.log == [], "a refused setting must be refused before any request"
            return
        pr, _ = await ensure_pull_request(forge, HEAD, BASE, title, body, settings)
    finally:
        await forge.aclose()
    assert rig.fake.prs[pr.number].auto_merge


async def test_an_existing_pull_request_hidden_from_the_list_is_adopted_not_duplicated(rig: ForgeRig) -> None:
    settings = PullRequestSettings()
    forge = rig.client()
    try:
        title, body = render_pull_request(settings, "nginx", ROWS)
        first, _ = await ensure_pull_request(forge, HEAD, BASE, title, body, settings)
        rig.fake.lagging_lists = 1
        title2, body2 = render_pull_request(settings, "nginx", NEWER)
        adopted, action = await ensure_pull_request(forge, HEAD, BASE, title2, body2, settings)
    finally:
        await forge.aclose()
    assert (adopted.number, action) == (first.number, "updated")
    assert len(rig.fake.prs) == 1


async def test_forge_errors_carry_the_forge_message_and_never_the_token(
    rig: ForgeRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    create = {"github": "create_pull", "gitlab": "create_mr", "gitea": "create_pull"}[rig.kind]
    rig.fake.failures[create] = (422, f"head branch is protected (token {rig.token} echoed)")
    settings = PullRequestSettings()
    forge = rig.client()
    try:
        title, body = render_pull_request(settings, "nginx", ROWS)
        with pytest.raises(ForgeError) as caught:
            await ensure_pull_request(forge, HEAD, BASE, title, body, settings)
        assert rig.token not in repr(forge)
    finally:
        await forge.aclose()
    error = caught.value
    assert error.status == 422 and "head branch is protected" in str(error)
    assert HEAD in str(error) and rig.token not in str(error) and "***" in str(error)
    assert rig.token not in caplog.text


async def test_a_wrong_token_is_reported_in_the_forges_words(rig: ForgeRig) -> None:
    rig.token_file.write_text("not-the-token")
    forge = rig.client()
    try:
        with pytest.raises(ForgeError) as caught:
            await forge.find_open_pull_request(HEAD, BASE)
    finally:
        await forge.aclose()
    assert caught.value.status == 401 and "not-the-token" not in str(caught.value)
    assert "Bad credentials" in str(caught.value)


async def test_an_unreachable_forge_is_a_forge_error_naming_the_url(rig: ForgeRig) -> None:
    forge = rig.client(api_url="http://127.0.0.1:9/api")
    try:
        with pytest.raises(ForgeError, match=r"127\.0\.0\.1:9/api") as caught:
            await forge.find_open_pull_request(HEAD, BASE)
    finally:
        await forge.aclose()
    assert caught.value.status is None


@pytest.mark.parametrize("rig", ["gitea"], indirect=True)
async def test_gitea_pages_through_open_pull_requests_and_ignores_forks(rig: ForgeRig) -> None:
    for n in range(60):
        rig.fake.new_pr(f"feature/{n}", BASE, f"feature {n}", "", False)
    assert isinstance(rig.fake, FakeGitea)
    rig.fake.foreign.append(StoredPR(number=900, head=HEAD, base=BASE, title="fork", body=""))
    ours = rig.fake.new_pr(HEAD, BASE, "ours", "", False)
    forge = rig.client()
    try:
        found = await forge.find_open_pull_request(HEAD, BASE)
    finally:
        await forge.aclose()
    assert found is not None and found.number == ours.number
    assert len(rig.fake.calls("GET", "/repos/acme/config/pulls")) == 2


async def test_only_a_pull_request_a_person_closed_unmerged_for_this_update_is_declined(rig: ForgeRig) -> None:
    settings = PullRequestSettings()
    forge = rig.client()
    try:
        title, body = render_pull_request(settings, "nginx", ROWS)
        newer_title, newer_body = render_pull_request(settings, "nginx", NEWER)
        update, newer_update = update_key(ROWS), update_key(NEWER)
        assert update_key_of(body) == update and update != newer_update
        if isinstance(rig.fake, FakeGitea):  # a fork's PR, closed under our title, is not ours to honour
            rig.fake.foreign.append(StoredPR(number=99, head=HEAD, base=BASE, title=title, body=body, state="closed"))
        merged, _ = await ensure_pull_request(forge, HEAD, BASE, title, body, settings)
        rig.fake.merge_as_person(merged.number)
        assert await find_declined_pull_request(forge, HEAD, BASE, update, settings) is None  # merged is not declined
        reopened, action = await ensure_pull_request(forge, HEAD, BASE, title, body, settings)
        assert action == "opened" and reopened.number != merged.number

        rig.fake.close_as_person(reopened.number)
        declined = await find_declined_pull_request(forge, HEAD, BASE, update, settings)
        assert declined is not None and (declined.number, declined.url) == (reopened.number, reopened.url)
        assert (declined.state, declined.merged, declined.title) == ("closed", False, title)
        assert await find_declined_pull_request(forge, HEAD, BASE, newer_update, settings) is None
        assert await find_declined_pull_request(forge, "image-updater/other", BASE, update, settings) is None
        creates = len(rig.fake.log)
        again, action = await ensure_pull_request(forge, HEAD, BASE, title, body, settings)
        assert (action, again.number) == ("declined", reopened.number)
        assert all(e.method == "GET" for e in rig.fake.log[creates:])  # looked, opened nothing

        newer, action = await ensure_pull_request(forge, HEAD, BASE, newer_title, newer_body, settings)
        assert action == "opened" and newer.title == newer_title
        rig.fake.close_as_person(newer.number)
        recreated, action = await ensure_pull_request(
            forge, HEAD, BASE, title, body, PullRequestSettings(recreate_declined=True)
        )
    finally:
        await forge.aclose()
    assert action == "opened" and recreated.number not in (merged.number, reopened.number, newer.number)
    assert [p.number for p in rig.fake.open_prs()] == [recreated.number]


async def test_a_decline_binds_to_the_update_not_to_a_title_that_names_no_tag(rig: ForgeRig) -> None:
    settings = PullRequestSettings(group_by="group", title="chore: bump {group}")
    apps = [row("api", "1.0.0", "1.1.0", "semver ^1", "newest"), row("web", "1.0.0", "1.1.0", "semver ^1", "newest")]
    later = [row("api", "1.0.0", "1.2.0", "semver ^1", "newest"), row("web", "1.0.0", "1.5.0", "semver ^1", "newest")]
    forge = rig.client()
    try:
        title, body = render_pull_request(settings, "apps", apps)
        later_title, later_body = render_pull_request(settings, "apps", later)
        assert title == later_title == "chore: bump apps"
        first, _ = await ensure_pull_request(forge, HEAD, BASE, title, body, settings)
        rig.fake.close_as_person(first.number)
        again, action = await ensure_pull_request(forge, HEAD, BASE, title, body, settings)
        assert (action, again.number) == ("declined", first.number)
        newer, action = await ensure_pull_request(forge, HEAD, BASE, later_title, later_body, settings)
        assert action == "opened" and newer.number != first.number
    finally:
        await forge.aclose()


def test_one_image_in_several_files_is_titled_as_one_update() -> None:
    rows = [row("web", "1.0.0", "1.1.0", "semver ^1", "newest"), row("web", "1.0.0", "1.1.0", "semver ^1", "newest")]
    title, _ = render_pull_request(PullRequestSettings(), "web", rows)
    assert title == "Update web to 1.1.0"
