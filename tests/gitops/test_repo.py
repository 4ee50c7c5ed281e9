"""ConfigRepo against real bare remotes (file:// and git daemon)."""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from pydantic import ValidationError

from image_updater.delivery import Change, RepoSettings, commit_message
from image_updater.errors import GitError, PushRejectedError
from image_updater.gitops import OWNED_MARKER, ConfigRepo, GitSettings
from tests.support.gitrepo import BareRemote, GitDaemon, git, make_remote, start_git_daemon


def replace_in(path: str, old: str, new: str) -> Callable[[Path], list[Change]]:
    def apply(root: Path) -> list[Change]:
        target = root / path
        text = target.read_text()
        if old not in text:
            return []
        target.write_text(text.replace(old, new))
        return [Change("web", old, new, path, 1, "semver *", "test")]

    return apply


def message(changes: Sequence[Change]) -> str:
    return commit_message("update {count} image{plural}\n\n{changes}\n", changes)


@pytest.fixture
def remote(tmp_path: Path) -> BareRemote:
    return make_remote(tmp_path, {"app/deploy.yaml": "image: web:1.0.0\n", "README": "hi\n"})


def settings(url: str, **extra: object) -> GitSettings:
    return GitSettings.model_validate({"url": url, "author": {"name": "bot", "email": "bot@example.com"}, **extra})


def test_deliver_commits_once_with_author_and_message(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    result = repo.deliver(replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    assert result.action == "pushed" and result.attempts == 1
    assert remote.read("app/deploy.yaml") == b"image: web:1.1.0\n"
    assert remote.rev() == result.commit
    body = git(remote.path, "log", "-1", "--format=%an <%ae>%n%B")
    assert body.startswith("bot <bot@example.com>\nupdate 1 image\n")
    assert "- web: 1.0.0 → 1.1.0" in body
    again = repo.deliver(replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    assert again.action == "unchanged" and again.commit is None
    assert remote.rev() == result.commit


def test_a_commit_message_longer_than_one_argument_may_be_lands_whole(remote: BareRemote, tmp_path: Path) -> None:
    # 6,000 change lines, ≈ 240 KiB: Linux refuses one argument over 128 KiB, so the message cannot be `-m`.
    lines = "".join(f"- registry.example.com/team/service-{i:05d}: 1.0.0 → 1.1.0\n" for i in range(6000))
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    result = repo.deliver(replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), lambda changes: "update\n\n" + lines)
    assert len(lines.encode()) > 128 * 1024
    assert result.action == "pushed"
    assert git(remote.path, "log", "-1", "--format=%B").strip() == ("update\n\n" + lines).strip()


def test_delivering_what_was_planned_on_the_synced_head_pushes_without_asking_the_remote_again(
    remote: BareRemote, tmp_path: Path
) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    head = repo.sync()
    result = repo.deliver(replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message, planned_on=head)
    assert result.action == "pushed" and result.attempts == 1
    assert remote.read("app/deploy.yaml") == b"image: web:1.1.0\n"
    # The remote moves after the plan: the first push, made without a fetch, is rejected; the retry
    # fetches and re-applies on the new head, and the person's commit survives.
    head = repo.sync()
    remote.commit_as_human(tmp_path, {"README": "edited by a person\n"}, "human edit")
    result = repo.deliver(replace_in("app/deploy.yaml", "1.1.0", "1.2.0"), message, planned_on=head)
    assert result.action == "pushed" and result.attempts == 2
    assert remote.read("README") == b"edited by a person\n"
    assert remote.read("app/deploy.yaml") == b"image: web:1.2.0\n"


def test_the_checkout_is_known_only_while_it_is_the_branch_as_we_last_fetched_or_pushed_it(
    remote: BareRemote, tmp_path: Path
) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    assert repo.known("main") is None  # nothing cloned yet
    head = repo.sync()
    assert repo.known("main") == head and repo.known("other") is None
    pushed = repo.deliver(replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message, planned_on=head)
    assert pushed.commit is not None and repo.known("main") == pushed.commit == remote.rev()
    remote.commit_as_human(tmp_path, {"README": "edited by a person\n"}, "human edit")
    assert repo.known("main") == pushed.commit  # asks nobody: the push will tell
    with pytest.raises(RuntimeError):
        repo.deliver(lambda root: (_ for _ in ()).throw(RuntimeError("apply failed")), message)
    assert repo.known("main") is None  # handed to an apply since: only a sync says what it holds
    head = repo.sync()
    other = ConfigRepo(settings(remote.url), tmp_path / "work")
    other.sync()  # another process took the checkout
    assert repo.known("main") is None


def test_another_process_working_in_the_checkout_between_plan_and_delivery_voids_what_we_knew_of_it(
    remote: BareRemote, tmp_path: Path
) -> None:
    ours = ConfigRepo(settings(remote.url), tmp_path / "work")
    head = ours.sync()
    # A second process (``run --once`` on the same git.workdir) takes the checkout and dies mid-apply.
    other = ConfigRepo(settings(remote.url), tmp_path / "work")

    def write_then_crash(root: Path) -> list[Change]:
        (root / "README").write_text("half-written by a process that died\n")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        other.deliver(write_then_crash, message)
    result = ours.deliver(replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message, planned_on=head)
    assert result.action == "pushed"
    assert remote.read("README") == b"hi\n"  # the other process's write was reset, never committed by us


def test_rejected_push_is_reapplied_on_the_new_head_and_both_commits_survive(
    remote: BareRemote, tmp_path: Path
) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    inner = replace_in("app/deploy.yaml", "1.0.0", "1.1.0")
    calls = {"n": 0}

    def apply_while_someone_pushes(root: Path) -> list[Change]:
        calls["n"] += 1
        if calls["n"] == 1:  # a person pushes between our fetch and our push
            remote.commit_as_human(tmp_path, {"README": "edited by a person\n"}, "human edit")
        return inner(root)

    result = repo.deliver(apply_while_someone_pushes, message)
    assert result.action == "pushed" and result.attempts == 2
    assert remote.log()[:2] == ["update 1 image", "human edit"]
    assert remote.read("README") == b"edited by a person\n"
    assert remote.read("app/deploy.yaml") == b"image: web:1.1.0\n"


def test_push_gives_up_after_the_configured_attempts(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(remote.url, push_attempts=2), tmp_path / "work")
    inner = replace_in("app/deploy.yaml", "1.0.0", "1.1.0")
    counter = iter(range(100))

    def always_raced(root: Path) -> list[Change]:
        remote.commit_as_human(tmp_path, {"README": f"edit {next(counter)}\n"}, "human edit")
        return inner(root)

    with pytest.raises(PushRejectedError, match="rejected"):
        repo.deliver(always_raced, message)
    assert remote.read("app/deploy.yaml") == b"image: web:1.0.0\n"
    assert remote.log()[0] == "human edit"


def test_update_branch_is_rebuilt_on_a_moved_base_and_base_is_never_written(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    base_before = remote.rev()
    first = repo.deliver_branch("image-updater/web", replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    assert first.action == "branch-updated"
    assert remote.rev() == base_before
    assert remote.read("app/deploy.yaml", "image-updater/web") == b"image: web:1.1.0\n"
    same = repo.deliver_branch("image-updater/web", replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    assert same.action == "branch-unchanged" and remote.rev("image-updater/web") == first.commit
    moved = remote.commit_as_human(tmp_path, {"README": "base moved\n"}, "base moved")
    rebuilt = repo.deliver_branch("image-updater/web", replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    assert rebuilt.action == "branch-updated"
    assert git(remote.path, "rev-parse", "image-updater/web~1") == moved
    assert remote.rev() == moved


def test_force_with_lease_refuses_to_clobber_someone_elses_push(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    repo.deliver_branch("image-updater/web", replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    theirs = {"n": 0}

    def apply_while_a_person_pushes_to_our_branch(root: Path) -> list[Change]:
        if theirs["n"] == 0:
            theirs["n"] += 1
            remote.commit_as_human(tmp_path, {"NOTE": "reviewer fixup\n"}, "fixup", branch="image-updater/web")
        return replace_in("app/deploy.yaml", "1.0.0", "1.2.0")(root)

    with pytest.raises(PushRejectedError):
        repo.deliver_branch("image-updater/web", apply_while_a_person_pushes_to_our_branch, message)
    assert remote.log("image-updater/web")[0] == "fixup"


def test_delete_branch_only_removes_our_branch(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    repo.deliver_branch("image-updater/web", replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    repo.sync()
    assert repo.delete_branch("image-updater/web") is True
    assert remote.branches() == ["main"]
    repo.sync()
    assert repo.delete_branch("image-updater/web") is False


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[GitDaemon]:
    d = start_git_daemon(tmp_path)
    yield d
    d.stop()


def test_delivery_over_git_daemon_transport(remote: BareRemote, daemon: GitDaemon, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(daemon.url(remote.path.name)), tmp_path / "work")
    result = repo.deliver(replace_in("app/deploy.yaml", "1.0.0", "2.0.0"), message)
    assert result.action == "pushed"
    assert remote.read("app/deploy.yaml") == b"image: web:2.0.0\n"


def test_ssh_signed_commit_verifies(remote: BareRemote, tmp_path: Path) -> None:
    key = tmp_path / "signing_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    repo = ConfigRepo(settings(remote.url, commit={"signing": {"format": "ssh", "key": str(key)}}), tmp_path / "work")
    result = repo.deliver(replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    signers = tmp_path / "allowed_signers"
    signers.write_text(f"bot@example.com {(tmp_path / 'signing_key.pub').read_text()}")
    out = subprocess.run(
        ["git", "-c", f"gpg.ssh.allowedSignersFile={signers}", "verify-commit", "--raw", str(result.commit)],
        cwd=remote.path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "Good" in out.stderr


@pytest.mark.parametrize("template", ["{nope}", "{count.__class__}", "{count:>99}", "{}"])
def test_a_commit_template_naming_anything_but_its_fields_is_refused_at_load(template: str) -> None:
    # the one template engine refuses attribute access and format specs, as it does for PR titles
    with pytest.raises(ValidationError, match="commit message template is invalid"):
        RepoSettings(url="file:///x", commit={"message": template})


def test_missing_branch_is_a_clear_error(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(remote.url, branch="production"), tmp_path / "work")
    with pytest.raises(Exception, match="branch production does not exist"):
        repo.sync()


def test_sync_restores_a_work_tree_that_apply_wrote_without_committing(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    repo.deliver(replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)

    def scribble(root: Path) -> list[Change]:
        (root / "app/deploy.yaml").write_text("half written")
        (root / "stray.yaml").write_text("image: web:9.9.9\n")
        return []

    assert repo.deliver(scribble, message).action == "unchanged"
    head = repo.sync()
    assert head == remote.rev()
    assert (repo.root / "app/deploy.yaml").read_text() == "image: web:1.1.0\n"
    assert not (repo.root / "stray.yaml").exists()
    assert git(repo.root, "status", "--porcelain", "--ignored") == ""


def test_sync_after_our_push_leaves_the_pushed_commit_checked_out_on_the_branch(
    remote: BareRemote, tmp_path: Path
) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    pushed = repo.deliver(replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    assert repo.sync() == pushed.commit == remote.rev()
    assert git(repo.root, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert git(repo.root, "status", "--porcelain", "--ignored") == ""
    moved = remote.commit_as_human(tmp_path, {"README": "moved\n"}, "human edit")
    assert repo.sync() == moved
    assert (repo.root / "README").read_text() == "moved\n"
    assert (repo.root / "app/deploy.yaml").read_text() == "image: web:1.1.0\n"


def test_an_update_branch_commit_is_not_mistaken_for_the_base(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    base = remote.rev()
    repo.deliver_branch("image-updater/web", replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    assert repo.sync() == base
    assert (repo.root / "app/deploy.yaml").read_text() == "image: web:1.0.0\n"
    assert git(repo.root, "rev-parse", "HEAD") == base


def test_changes_that_leave_the_bytes_as_they_were_make_no_commit(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    before = remote.rev()

    def rewrite_same(root: Path) -> list[Change]:
        target = root / "app/deploy.yaml"
        target.write_bytes(target.read_bytes())
        return [Change("web", "1.0.0", "1.0.0", "deploy.yaml", 1, "semver *", "test")]

    result = repo.deliver(rewrite_same, message)
    assert result.action == "unchanged" and result.commit is None
    assert remote.rev() == before


def test_new_and_deleted_files_are_committed_with_the_edit(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")

    def add_and_remove(root: Path) -> list[Change]:
        (root / "app/extra").mkdir()
        (root / "app/extra/new.yaml").write_text("image: web:1.1.0\n")
        (root / "README").unlink()
        return replace_in("app/deploy.yaml", "1.0.0", "1.1.0")(root)

    assert repo.deliver(add_and_remove, message).action == "pushed"
    assert remote.read("app/extra/new.yaml") == b"image: web:1.1.0\n"
    assert git(remote.path, "ls-tree", "-r", "--name-only", "main").splitlines() == [
        "app/deploy.yaml",
        "app/extra/new.yaml",
    ]


def test_a_failing_commit_is_an_error_not_unchanged(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(
        settings(remote.url, commit={"signing": {"format": "ssh", "key": str(tmp_path / "absent")}}), tmp_path / "work"
    )
    with pytest.raises(GitError, match="git commit failed"):
        repo.deliver(replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    assert remote.read("app/deploy.yaml") == b"image: web:1.0.0\n"
    assert repo.sync() == remote.rev()
    assert git(repo.root, "status", "--porcelain", "--ignored") == ""


def test_sync_sees_branches_that_others_create_and_delete(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    repo.sync()
    assert repo.remote_sha("image-updater/web") is None
    theirs = remote.commit_as_human(tmp_path, {"NOTE": "x\n"}, "their branch", branch="main")
    git(remote.path, "branch", "image-updater/web", theirs)
    git(remote.path, "update-ref", "refs/heads/main", f"{theirs}~1")  # main back where we synced it
    repo.sync()
    assert repo.remote_sha("image-updater/web") == theirs
    git(remote.path, "branch", "-D", "image-updater/web")
    repo.sync()
    assert repo.remote_sha("image-updater/web") is None
    assert repo.delete_branch("image-updater/web") is False


def test_a_changed_git_url_is_followed_by_an_existing_checkout(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    old = make_remote(tmp_path / "a", {"app/deploy.yaml": "image: web:1.0.0\n"})
    new = make_remote(tmp_path / "b", {"app/deploy.yaml": "image: web:1.0.0\n"})
    ConfigRepo(settings(old.url), tmp_path / "work").sync()
    result = ConfigRepo(settings(new.url), tmp_path / "work").deliver(
        replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message
    )
    assert result.action == "pushed"
    assert new.log() == ["update 1 image", "initial config"] and old.log() == ["initial config"]


def test_files_left_in_the_checkout_by_others_are_never_committed(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    repo.sync()
    (tmp_path / "work" / "junk.txt").write_text("left by another process\n")
    (tmp_path / "work" / "README").write_text("half-done edit\n")
    result = repo.deliver(replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    assert result.action == "pushed"
    touched = git(remote.path, "show", "--name-status", "--format=", "HEAD").splitlines()
    assert touched == ["M\tapp/deploy.yaml"]


def test_a_new_process_trusts_a_checkout_an_earlier_one_left_only_while_git_status_shows_nothing_else(
    remote: BareRemote, tmp_path: Path
) -> None:
    # A restarted service, or plan's kept checkout: no checkout --force / clean -fdx when the tree is the
    # branch's commit and nothing else, the full reset as before when anything else is there.
    ConfigRepo(settings(remote.url), tmp_path / "work").sync()
    again = ConfigRepo(settings(remote.url), tmp_path / "work")
    assert again.sync() == remote.rev() and again.checkouts == 0
    (tmp_path / "work" / "stray.yaml").write_text("image: web:9.9.9\n")  # untracked, as another process left it
    (tmp_path / "work" / ".gitignore").write_text("")  # nothing ignored: the stray file shows either way
    third = ConfigRepo(settings(remote.url), tmp_path / "work")
    assert third.sync() == remote.rev() and third.checkouts == 1
    assert not (tmp_path / "work" / "stray.yaml").exists() and not (tmp_path / "work" / ".gitignore").exists()
    ignored = tmp_path / "work" / ".git" / "info" / "exclude"
    ignored.write_text("*.tmp\n")
    (tmp_path / "work" / "left.tmp").write_text("ignored, but not ours\n")
    fourth = ConfigRepo(settings(remote.url), tmp_path / "work")
    assert fourth.sync() == remote.rev() and fourth.checkouts == 1
    assert not (tmp_path / "work" / "left.tmp").exists()


def test_a_push_the_server_refuses_is_not_retried(remote: BareRemote, tmp_path: Path) -> None:
    hook = remote.path / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    applied = {"n": 0}
    inner = replace_in("app/deploy.yaml", "1.0.0", "1.1.0")

    def counting(root: Path) -> list[Change]:
        applied["n"] += 1
        return inner(root)

    with pytest.raises(GitError) as caught:
        ConfigRepo(settings(remote.url), tmp_path / "work").deliver(counting, message)
    assert not isinstance(caught.value, PushRejectedError)
    assert "remote rejected" in str(caught.value) and applied["n"] == 1
    assert remote.log() == ["initial config"]


def test_deleting_a_branch_someone_already_deleted_is_not_an_error(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    repo.deliver_branch("image-updater/web", replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    repo.sync()
    git(remote.path, "update-ref", "-d", "refs/heads/image-updater/web")
    assert repo.delete_branch("image-updater/web") is False


def test_a_branch_carrying_someone_elses_commit_is_never_deleted(remote: BareRemote, tmp_path: Path) -> None:
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    repo.deliver_branch("image-updater/web", replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), message)
    remote.commit_as_human(tmp_path, {"NOTE": "reviewer fixup\n"}, "fixup", branch="image-updater/web")
    repo.sync()
    with pytest.raises(GitError, match=r"human@example\.com"):
        repo.delete_branch("image-updater/web")
    assert "image-updater/web" in remote.branches()


def test_a_workdir_holding_someone_elses_repository_is_never_reset(remote: BareRemote, tmp_path: Path) -> None:
    theirs = remote.clone(tmp_path / "my-work")
    (theirs / "unsaved.txt").write_text("a person's work in progress\n")
    with pytest.raises(GitError, match="did not clone"):
        ConfigRepo(settings(remote.url), theirs).sync()
    assert (theirs / "unsaved.txt").read_text() == "a person's work in progress\n"


def test_two_processes_sharing_a_checkout_take_turns_and_a_lock_is_removed_only_once_its_holder_is_gone(
    remote: BareRemote, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    work = tmp_path / "work"
    ConfigRepo(settings(remote.url), work).sync()
    # another image-updater process works in the checkout: it holds the work dir, its git holds index.lock
    holder = os.open(work, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    index_lock = work / ".git" / "index.lock"
    index_lock.write_text("")
    moved = remote.commit_as_human(tmp_path, {"README": "moved\n"}, "human edit")
    result: dict[str, str] = {}
    waiter = threading.Thread(target=lambda: result.update(head=ConfigRepo(settings(remote.url), work).sync()))
    with caplog.at_level(logging.INFO, logger="image_updater.gitops.repo"):
        waiter.start()
        deadline = time.monotonic() + 30
        while "waiting for another process" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "waiting for another process" in caplog.text
        assert index_lock.exists() and waiter.is_alive()  # a live holder's lock is left alone
        os.close(holder)  # the holder dies: its lock file is stale now
        waiter.join(30)
    assert result == {"head": moved}
    assert not index_lock.exists()
    assert "removing a lock file left by a process that died" in caplog.text


def test_a_checkout_whose_head_commit_is_missing_is_discarded_and_cloned_afresh(
    remote: BareRemote, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    ConfigRepo(settings(remote.url), work).sync()
    for pack in (work / ".git" / "objects" / "pack").iterdir():
        pack.unlink()  # refs name commits that are gone: git cannot check anything out any more
    (work / "stray.txt").write_text("left behind\n")
    repo = ConfigRepo(settings(remote.url), work)
    assert repo.sync() == remote.rev()
    assert (work / "app/deploy.yaml").read_text() == "image: web:1.0.0\n" and not (work / "stray.txt").exists()
    assert (work / ".git" / OWNED_MARKER).is_file()


def test_a_commit_message_is_kept_verbatim(remote: BareRemote, tmp_path: Path) -> None:
    """Flux templates render blank-line runs and '#' lines; git's default clean-up would eat them."""
    repo = ConfigRepo(settings(remote.url), tmp_path / "work")
    text = "Automated update\n\n\n# not a comment: kept\n  indented -> kept\n"
    repo.deliver(replace_in("app/deploy.yaml", "1.0.0", "1.1.0"), lambda _: text)
    assert git(remote.path, "cat-file", "commit", "main").split("\n\n", 1)[1] == text.rstrip("\n")  # git() strips


@pytest.mark.parametrize(
    ("url", "same"),
    [
        ("ssh://git@github.com/acme/config", True),
        ("git@github.com:acme/config.git", True),
        ("https://GitHub.com/acme/config/", True),
        ("ssh://git@github.com:22/acme/config.git", True),
        ("https://github.com/acme/Config", False),  # paths are case-sensitive
        ("https://github.com/acme/config-other", False),
        ("https://gitlab.com/acme/config", False),
    ],
)
def test_git_url_aliases_name_the_same_repository_however_spelled(url: str, same: bool) -> None:
    git_settings = settings("file:///srv/mirror/config.git", url_aliases=["https://github.com/acme/config.git"])
    assert git_settings.names_this_repository(url) is same
    assert git_settings.names_this_repository("file:///srv/mirror/config") is True  # git.url itself
