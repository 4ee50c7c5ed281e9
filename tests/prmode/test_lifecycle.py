"""One pull request per group across cycles, driven through the real Updater, registry, remote and forge."""

from __future__ import annotations

import re

import pytest

from tests.prmode.conftest import PrLoop

BRANCH = "image-updater/web"


async def test_ten_cycles_one_pull_request_then_a_newer_tag_updates_it(loop: PrLoop) -> None:
    loop.push_tags("web", ["1.1.0"])
    base = loop.remote.rev()
    updater = loop.updater()
    try:
        reports = await loop.cycles(10, updater)
        assert all(r.ok for r in reports), [r.all_errors for r in reports]
        assert [o.action for o in reports[0].outcomes] == ["pr-opened"]
        assert {o.action for r in reports[1:] for o in r.outcomes} == {"pr-unchanged"}
        assert len(loop.rig.fake.prs) == 1 and len(loop.creates()) == 1
        assert len(loop.edits()) == 0
        assert loop.remote.rev() == base  # the base branch is never written in this mode
        assert loop.update_branches() == [BRANCH]
        first = loop.remote.rev(BRANCH)
        assert loop.commits_on(BRANCH) == 1 and loop.parent(BRANCH) == base
        assert b"team/web:1.1.0" in loop.remote.read("deploy/web.yaml", BRANCH)
        (pr,) = loop.rig.fake.prs.values()
        assert (pr.head, pr.base, pr.state) == (BRANCH, "main", "open")
        assert pr.title == "Update web to 1.1.0" and "1.0.0" in pr.body and "1.1.0" in pr.body

        loop.push_tags("web", ["1.2.0"])
        (report,) = await loop.cycles(1, updater)
    finally:
        await updater.aclose()
    assert report.ok, report.all_errors
    (web,) = report.outcomes
    assert web.action == "pr-updated" and web.pushed
    assert len(loop.rig.fake.prs) == 1 and len(loop.creates()) == 1 and len(loop.edits()) == 1
    assert pr.title == "Update web to 1.2.0" and "1.2.0" in pr.body and "1.1.0" not in pr.body
    assert loop.remote.rev(BRANCH) != first and loop.commits_on(BRANCH) == 1 and loop.parent(BRANCH) == base
    assert b"team/web:1.2.0" in loop.remote.read("deploy/web.yaml", BRANCH)
    assert loop.remote.rev() == base


@pytest.mark.parametrize(
    ("loop", "merged"), [("github", "1.1.0"), ("gitlab", "1.3.0"), ("gitea", "1.1.0")], indirect=["loop"]
)
async def test_base_moves_rebuild_the_branch_and_a_human_merge_closes_the_pull_request(
    loop: PrLoop, merged: str
) -> None:
    """``merged`` is the chosen tag, or one newer than anything in the registry."""
    loop.push_tags("web", ["1.1.0"])
    updater = loop.updater()
    try:
        (opened,) = await loop.cycles(1, updater)
        assert [o.action for o in opened.outcomes] == ["pr-opened"]
        (pr,) = loop.rig.fake.prs.values()

        moved = loop.human_commit({"README.md": "unrelated\n"}, "docs: unrelated change")
        (rebuilt,) = await loop.cycles(1, updater)
        assert rebuilt.ok, rebuilt.all_errors
        (outcome,) = rebuilt.outcomes
        assert outcome.action == "pr-unchanged" and outcome.pushed  # same text, new base
        assert loop.parent(BRANCH) == moved and loop.commits_on(BRANCH) == 1
        assert loop.remote.read("README.md", BRANCH) == b"unrelated\n"
        assert loop.remote.rev() == moved and len(loop.edits()) == 0

        web = loop.remote.read("deploy/web.yaml").decode().replace("web:1.0.0", f"web:{merged}")
        merged = loop.human_commit({"deploy/web.yaml": web}, "bump web by hand")
        (closed,) = await loop.cycles(1, updater)
        assert closed.ok, closed.all_errors
        assert [(o.action, o.pull_request) for o in closed.outcomes] == [("pr-closed", opened.outcomes[0].pull_request)]
        assert pr.state == "closed" and pr.body.startswith("Closing: the base branch already has")
        assert "1.1.0" in pr.body  # the old body stays below the note
        assert loop.update_branches() == [] and loop.remote.rev() == merged

        (rest,) = await loop.cycles(1, updater)
    finally:
        await updater.aclose()
    assert [o.action for o in rest.outcomes] == ["unchanged"]
    assert len(loop.creates()) == 1 and len(loop.edits()) == 1 and loop.rig.fake.open_prs() == []


async def test_a_push_to_our_branch_is_never_clobbered_and_is_reported(loop: PrLoop) -> None:
    loop.push_tags("web", ["1.1.0"])
    updater = loop.updater()
    real_sync = updater.runners["default"].repo.sync
    race = {"armed": False, "syncs": 0}

    def sync_then_a_reviewer_pushes(branch: str | None = None, *, fallback: str | None = None) -> str:
        head = real_sync(branch, fallback=fallback)
        race["syncs"] += 1
        if race["armed"] and race["syncs"] == 2:  # inside deliver_branch: after its fetch, before its push
            loop.human_commit({"NOTES.md": "reviewer fix-up\n"}, "reviewer fix-up", branch=BRANCH)
        return head

    updater.runners["default"].repo.sync = sync_then_a_reviewer_pushes  # type: ignore[method-assign]
    try:
        await loop.cycles(1, updater)
        (pr,) = loop.rig.fake.prs.values()
        loop.push_tags("web", ["1.2.0"])
        race.update(armed=True, syncs=0)
        (raced,) = await loop.cycles(1, updater)
        race["armed"] = False
        assert not raced.ok and raced.outcomes == []
        (error,) = raced.all_errors
        assert error.startswith("group web: push to") and f"refs/heads/{BRANCH} [rejected] (stale info)" in error
        assert loop.remote.log(BRANCH)[0] == "reviewer fix-up"
        assert b"web:1.1.0" in loop.remote.read("deploy/web.yaml", BRANCH)
        assert pr.title == "Update web to 1.1.0" and len(loop.edits()) == 0

        (later,) = await loop.cycles(1, updater)  # the fix-up is fetched now: still not ours to rebuild
    finally:
        await updater.aclose()
    (error,) = later.all_errors
    assert "has a commit by human@example.com" in error and "delete the branch" in error
    assert loop.remote.log(BRANCH)[0] == "reviewer fix-up" and len(loop.edits()) == 0
    assert len(loop.rig.fake.prs) == 1


async def test_forge_errors_are_reported_in_its_words_and_the_pushed_branch_stays(loop: PrLoop) -> None:
    create = {"github": "create_pull", "gitlab": "create_mr", "gitea": "create_pull"}[loop.rig.kind]
    loop.push_tags("web", ["1.1.0"])
    updater = loop.updater()
    try:
        loop.rig.fake.failures[create] = (422, "head branch is protected")
        (refused,) = await loop.cycles(1, updater)
        pushed = loop.remote.rev(BRANCH)
        loop.rig.fake.failures[create] = (500, "database is locked")
        (broken,) = await loop.cycles(1, updater)
        (recovered,) = await loop.cycles(1, updater)
    finally:
        await updater.aclose()
    (error,) = refused.all_errors
    assert re.match(rf"group web: {loop.rig.fake.name} \(HTTP 422\): opening a (pull|merge) request", error)
    assert "head branch is protected" in error and loop.rig.token not in error
    (error,) = broken.all_errors
    assert "(HTTP 500)" in error and "database is locked" in error
    assert refused.outcomes == [] and broken.outcomes == []
    assert loop.update_branches() == [BRANCH] and loop.remote.rev(BRANCH) == pushed  # kept, not rebuilt
    assert recovered.ok, recovered.all_errors
    assert [o.action for o in recovered.outcomes] == ["pr-opened"]
    assert len(loop.rig.fake.open_prs()) == 1 and loop.remote.rev(BRANCH) == pushed


async def test_an_edit_that_fails_never_closes_the_pull_request(loop: PrLoop) -> None:
    """No commit because an edit failed is not "someone merged it": the PR and its branch stay."""
    loop.push_tags("web", ["1.1.0"])
    updater = loop.updater()
    try:
        (opened,) = await loop.cycles(1, updater)
        assert [o.action for o in opened.outcomes] == ["pr-opened"]
        (pr,) = loop.rig.fake.prs.values()
        branch_before = loop.remote.rev(BRANCH)
        # a person adds a values file whose web tag is an anchor a non-image field also reads
        loop.human_commit(
            {
                "deploy/values.yaml": f"web:\n  image:\n    repository: {loop.registry.host}/team/web\n"
                "    tag: &v 1.0.0\nlabels:\n  version: *v\n"
            },
            "add values",
        )
        (failed,) = await loop.cycles(1, updater)
    finally:
        await updater.aclose()
    assert not failed.ok
    assert any("alias" in e for e in failed.all_errors), failed.all_errors
    (outcome,) = failed.outcomes
    assert outcome.action.startswith("skipped: an edit failed")
    assert pr.state == "open" and loop.update_branches() == [BRANCH]
    assert loop.remote.rev(BRANCH) == branch_before


@pytest.mark.parametrize("loop", ["github"], indirect=True)
async def test_a_setting_the_forge_cannot_honour_stops_the_cycle_before_any_push(loop: PrLoop) -> None:
    loop.push_tags("web", ["1.1.0"])
    loop.pull_request = {"auto_merge": True}  # GitHub's auto-merge needs GraphQL: refused, not ignored
    updater = loop.updater()
    try:
        (report,) = await loop.cycles(1, updater)
    finally:
        await updater.aclose()
    assert any("auto_merge" in e for e in report.all_errors), report.all_errors
    assert loop.update_branches() == [] and len(loop.rig.fake.prs) == 0
