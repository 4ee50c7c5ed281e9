"""A pull request a person closes without merging is a declined update (Renovate's rule), end to end."""

from __future__ import annotations

import asyncio

import pytest

from image_updater.cli import main
from tests.prmode.conftest import PrLoop

BRANCH = "image-updater/web"


async def test_a_declined_update_is_not_proposed_again_but_a_newer_tag_is(
    loop: PrLoop, capsys: pytest.CaptureFixture[str]
) -> None:
    loop.push_tags("web", ["1.1.0"])
    updater = loop.updater()
    try:
        (opened,) = await loop.cycles(1, updater)
        (first,) = opened.outcomes
        assert first.action == "pr-opened" and loop.update_branches() == [BRANCH]
        (pr,) = loop.rig.fake.prs.values()
        loop.rig.fake.close_as_person(pr.number)

        assert await asyncio.to_thread(main, ["plan", "--config", str(loop.config)]) == 0
        assert (
            f"delivery [web]: would-skip-declined-pr branch {BRANCH} {first.pull_request} (Update web to 1.1.0)"
        ) in capsys.readouterr().out
        assert loop.update_branches() == [BRANCH]  # plan deleted nothing

        declined = await loop.cycles(3, updater)
        assert all(r.ok for r in declined), [r.all_errors for r in declined]
        assert [(o.action, o.pull_request) for r in declined for o in r.outcomes] == (
            [("pr-declined", first.pull_request)] * 3
        )
        assert loop.update_branches() == []  # deleted, and not pushed again by the later cycles
        assert len(loop.creates()) == 1 and loop.rig.fake.open_prs() == [] and len(loop.edits()) == 0
        assert (pr.state, pr.title) == ("closed", "Update web to 1.1.0")

        loop.push_tags("web", ["1.2.0"])
        (newer,) = await loop.cycles(1, updater)
        (again,) = await loop.cycles(1, updater)
    finally:
        await updater.aclose()
    assert newer.ok, newer.all_errors
    (outcome,) = newer.outcomes
    assert outcome.action == "pr-opened" and outcome.pull_request != first.pull_request
    (fresh,) = loop.rig.fake.open_prs()
    assert (fresh.head, fresh.title) == (BRANCH, "Update web to 1.2.0") and len(loop.creates()) == 2
    assert loop.update_branches() == [BRANCH] and b"team/web:1.2.0" in loop.remote.read("deploy/web.yaml", BRANCH)
    assert [o.action for o in again.outcomes] == ["pr-unchanged"]


async def test_a_merged_pull_request_is_not_a_decline_and_our_own_close_is_not_either(loop: PrLoop) -> None:
    loop.push_tags("web", ["1.1.0"])
    updater = loop.updater()
    try:
        await loop.cycles(1, updater)
        (pr,) = loop.rig.fake.prs.values()
        # the base already has 1.1.0 (a person bumped it by hand): we close our pull request ourselves
        bumped = loop.remote.read("deploy/web.yaml").decode().replace("web:1.0.0", "web:1.1.0")
        loop.human_commit({"deploy/web.yaml": bumped}, "bump web by hand")
        (closed,) = await loop.cycles(1, updater)
        assert [o.action for o in closed.outcomes] == ["pr-closed"]
        assert pr.title == "Update web to 1.1.0 - autoclosed"
        # the hand bump is reverted: the same update is wanted again, and was never declined
        loop.human_commit({"deploy/web.yaml": bumped.replace("web:1.1.0", "web:1.0.0")}, "revert the bump")
        (reopened,) = await loop.cycles(1, updater)
        assert [o.action for o in reopened.outcomes] == ["pr-opened"]
        (second,) = loop.rig.fake.open_prs()
        loop.rig.fake.merge_as_person(second.number)  # merged in the UI; the base is not fetched yet
        (after_merge,) = await loop.cycles(1, updater)
    finally:
        await updater.aclose()
    assert after_merge.ok, after_merge.all_errors
    assert [o.action for o in after_merge.outcomes] == ["pr-opened"]  # a merge never declines
    assert len(loop.creates()) == 3


async def test_recreate_declined_opens_the_declined_update_again(loop: PrLoop) -> None:
    loop.push_tags("web", ["1.1.0"])
    (opened,) = await loop.cycles(1)
    (pr,) = loop.rig.fake.prs.values()
    loop.rig.fake.close_as_person(pr.number)
    loop.pull_request = {"recreate_declined": True}
    (recreated,) = await loop.cycles(1)
    assert recreated.ok, recreated.all_errors
    (outcome,) = recreated.outcomes
    assert outcome.action == "pr-opened" and outcome.pull_request != opened.outcomes[0].pull_request
    (fresh,) = loop.rig.fake.open_prs()
    assert fresh.title == "Update web to 1.1.0" and fresh.number != pr.number and len(loop.creates()) == 2
    assert loop.update_branches() == [BRANCH]
