"""The config repo's working copy: sync with the remote, commit, and push without ever losing work.

Pushing to the branch never forces: a rejected push means someone else moved the branch, so we fetch,
re-apply the same decisions on their head and try again. Update branches for pull requests are the
only refs we rewrite, and only with ``--force-with-lease`` on the value we last saw.
"""

from __future__ import annotations

import re
import shlex
import shutil
import stat
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import git

from image_updater.errors import GitError, PushRejectedError
from image_updater.gitops.settings import GitSettings
from image_updater.logs import get_logger
from image_updater.secrets import redact_url

log = get_logger(__name__)

ChangeT = TypeVar("ChangeT")
# Only "the ref moved under us" is worth a fetch and another try: a lost race is "[rejected]", "stale info",
# "fetch first" or, when another push updated the ref while ours was checked, "failed to update ref" /
# "cannot lock ref". A server that refuses the push ("[remote rejected] (pre-receive hook declined)", a
# protected branch) refuses it every time.
_REJECTED = re.compile(r"\[rejected\]|stale info|fetch first|non-fast-forward|failed to update ref|cannot lock ref")


_HTTP_REFUSED = re.compile(
    r"Authentication failed|HTTP Basic: Access denied|returned error: 40[13]\b|Permission to \S+ denied"
)
_HTTP_ASKED = re.compile(r"could not read (?:Username|Password)|terminal prompts disabled")
_SSH_REFUSED = re.compile(r"Permission denied \(publickey")
_SSH_UNKNOWN_HOST = re.compile(r"Host key verification failed")


def auth_failure(stderr: str, settings: GitSettings) -> str | None:
    """git's refusal of our credentials as what to change in the settings; None for any other failure.

    GitPython's raw stderr ("fatal: could not read Username for 'https://…': terminal prompts disabled")
    names neither the key nor the fix.
    """
    token_key = "git.token_file" if settings.token_file else "git.token_env" if settings.token_env else None
    if _HTTP_REFUSED.search(stderr):
        if token_key is None:
            return "the server refused the request and no token is configured: set git.token_file or git.token_env"
        return (
            f"the server refused the credentials: check the token in {token_key} and git.username "
            f"({settings.username!r}); the token needs read and write access to the repository"
        )
    if _HTTP_ASKED.search(stderr):
        if token_key is None:
            return "the server asks for credentials and none are configured: set git.token_file or git.token_env"
        return f"the server did not take the token in {token_key} with git.username ({settings.username!r})"
    if _SSH_REFUSED.search(stderr):
        key = "git.ssh_key_file" if settings.ssh_key_file else "git.ssh_key_file (none is set)"
        return f"the server refused the SSH key: check {key}; it must be a key with write access to the repository"
    if _SSH_UNKNOWN_HOST.search(stderr):
        return "the server's host key is not trusted: add it to git.known_hosts_file"
    return None


#: A file inside ``.git`` of every checkout image-updater clones: only those may be reset and cleaned.
OWNED_MARKER = "image-updater-checkout"


@dataclass(frozen=True)
class PushResult:
    """What a push did: the commit pushed (None when nothing changed) and how many tries it took."""

    commit: str | None
    changes: tuple[Any, ...]
    attempts: int
    action: str  # "pushed" | "unchanged" | "branch-updated" | "branch-unchanged"


class ConfigRepo:
    """A working copy of the config repo under ``workdir``, driven through git itself (GitPython)."""

    def __init__(self, settings: GitSettings, workdir: Path, *, token: str | None = None) -> None:
        self.settings = settings
        self.root = workdir
        self._env = self._auth_env(token)
        self._repo: git.Repo | None = None
        # The commit the index and work tree hold exactly, as left by our own checkout or commit; None
        # once we hand the work tree to an ``apply`` (it may write anything) until we commit or re-sync.
        self._tree_is: str | None = None

    # -- environment -------------------------------------------------------------------------------
    def _auth_env(self, token: str | None) -> dict[str, str]:
        env = {"GIT_TERMINAL_PROMPT": "0"}
        if token:
            # A private folder under $TMPDIR: the work dir's parent may be read-only (a container's root).
            askpass = Path(tempfile.mkdtemp(prefix="image-updater-git-")) / "askpass.sh"
            # The script prints the token from the environment it is started with, so it never sits on disk.
            askpass.write_text(
                '#!/bin/sh\ncase "$1" in\n  Username*) printf \'%s\\n\' "$IU_GIT_USERNAME" ;;\n'
                "  *) printf '%s\\n' \"$IU_GIT_TOKEN\" ;;\nesac\n"
            )
            askpass.chmod(stat.S_IRWXU)
            env.update(GIT_ASKPASS=str(askpass), IU_GIT_TOKEN=token, IU_GIT_USERNAME=self.settings.username)
        if self.settings.ssh_key_file:
            parts = ["ssh", "-i", self.settings.ssh_key_file, "-o", "IdentitiesOnly=yes"]
            if self.settings.known_hosts_file:
                parts += [
                    "-o",
                    f"UserKnownHostsFile={self.settings.known_hosts_file}",
                    "-o",
                    "StrictHostKeyChecking=yes",
                ]
            env["GIT_SSH_COMMAND"] = shlex.join(parts)
        return env

    @property
    def repo(self) -> git.Repo:
        if self._repo is None:
            raise GitError("the config repo has not been synced yet")
        return self._repo

    def _git(self, *args: str, config: Sequence[str] = ()) -> str:
        """Run ``git [-c key=value …] args``; errors name the subcommand (``args[0]``) and the remote."""
        options = [item for setting in config for item in ("-c", setting)]
        try:
            with self.repo.git.custom_environment(**self._env):
                return str(self.repo.git.execute(["git", *options, *args]))
        except git.GitCommandError as exc:
            # push --porcelain gives the reason per ref on stdout ("!  ref  [rejected] (stale info)").
            refused = [
                " ".join(line[1:].split()) for line in str(exc.stdout or "").splitlines() if line.startswith("!")
            ]
            detail = redact_url("; ".join([*refused, str(exc.stderr or exc).strip()]))
            detail = auth_failure(detail, self.settings) or detail
            if args and args[0] == "push" and _REJECTED.search(detail):
                raise PushRejectedError(f"push to {redact_url(self.settings.url)} rejected: {detail}") from None
            raise GitError(f"git {args[0]} failed for {redact_url(self.settings.url)}: {detail}") from None

    # -- sync ----------------------------------------------------------------------------------------
    def sync(self, branch: str | None = None, *, fallback: str | None = None) -> str:
        """Clone or fetch, then make the work tree exactly the remote ``branch``; return its commit.

        ``fallback``: the branch to start from when ``branch`` does not exist yet (a push branch is
        created from ``git.branch``); the local branch is named ``branch`` either way.

        The remote is asked every time (``_fetch``). ``checkout --force`` and ``clean -fdx`` (a third
        of a cycle's Git time on a 1,000-file repo) are skipped when the branch is still the commit
        our own checkout or commit left in the work tree and nothing has been handed the tree to
        write since.
        """
        branch = branch or self.settings.branch
        if self._repo is None and (self.root / ".git").exists():
            self._reopen()
        if self._repo is None:
            self.root.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._repo = git.Repo.clone_from(self.settings.url, self.root, env=self._env, no_checkout=True)
            except git.GitCommandError as exc:
                detail = redact_url(str(exc.stderr).strip())
                raise GitError(
                    f"cannot clone {redact_url(self.settings.url)}: {auth_failure(detail, self.settings) or detail}"
                ) from None
            (self.root / ".git" / OWNED_MARKER).write_text("created by image-updater; it may reset this checkout\n")
        self._fetch()
        start = branch if fallback is None or self.remote_sha(branch) is not None else fallback
        remote_ref = f"refs/remotes/origin/{start}"
        fetched = self.remote_sha(start)
        if fetched is None:
            raise GitError(f"branch {start} does not exist on {redact_url(self.settings.url)}")
        if self._tree_is == fetched and self._on(branch, fetched) and self._untouched():
            return fetched
        self._tree_is = None
        self._git("checkout", "--force", "-B", branch, remote_ref)
        self._git("clean", "-fdx")
        self._tree_is = self.head()
        return self._tree_is

    def _reopen(self) -> None:
        """Adopt a checkout left by an earlier run, pointed at the configured remote.

        After ``git.url`` changes (a restart with a kept volume) the old checkout would otherwise keep
        pushing to the old remote; a folder that is no repository at all is cloned afresh.
        """
        if not (self.root / ".git" / OWNED_MARKER).is_file():
            # Every sync runs checkout --force and clean -fdx: never on a repository someone else made.
            raise GitError(
                f"git.workdir {self.root} holds a Git repository image-updater did not clone; "
                "point git.workdir at an empty or new folder"
            )
        try:
            self._repo = git.Repo(self.root)
            origin = self._repo.remote("origin")
        except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
            self._repo = None
            shutil.rmtree(self.root, ignore_errors=True)  # our own clone, broken: clone it again
            return
        if origin.url != self.settings.url:
            self._git("remote", "set-url", "origin", self.settings.url)
            self._tree_is = None

    def _untouched(self) -> bool:
        """Nothing but our own commit is in the work tree: no file written, staged or dropped there since.

        Another process sharing the folder (``run --once`` beside the service) may have left edits or
        files; ``add -A`` would sweep them into our commit, so then the full checkout and clean run.
        """
        return not self._git("status", "--porcelain", "--ignored", "--untracked-files=all").strip()

    def _fetch(self) -> None:
        """Make ``refs/remotes/origin/*`` what the remote holds now, asking the remote every time.

        ``ls-remote`` is one process and one round trip; ``fetch`` adds a connectivity check and
        auto-maintenance (about twice the cost), and is only needed when a branch moved, appeared
        or went away. The answer is as fresh as a fetch's: a branch that moves after it is caught
        by the push being rejected, as before.
        """
        advertised: dict[str, str] = {}
        for line in self._git("ls-remote", "--heads", "origin").splitlines():
            sha, _, ref = line.partition("\t")
            advertised[ref.removeprefix("refs/heads/")] = sha
        if advertised != self._tracking_refs():
            self._git("fetch", "--prune", "origin")

    def _tracking_refs(self) -> dict[str, str]:
        """Branch → commit of our ``refs/remotes/origin/*`` (read from files, no process)."""
        return {
            ref.remote_head: str(ref.object.hexsha)
            for ref in git.RemoteReference.iter_items(self.repo, remote=self.repo.remote("origin"))
            if ref.remote_head != "HEAD"
        }

    def _on(self, branch: str, commit: str) -> bool:
        """True when HEAD is the local ``branch`` and it points at ``commit`` (read from files, no process)."""
        head = self.repo.head
        return not head.is_detached and head.ref.name == branch and str(head.commit.hexsha) == commit

    def head(self) -> str:
        return str(self.repo.head.commit.hexsha)

    def remote_sha(self, branch: str) -> str | None:
        """The commit ``origin/branch`` pointed at when we last fetched (None if absent)."""
        try:
            return str(self.repo.commit(f"refs/remotes/origin/{branch}").hexsha)
        except (git.BadName, ValueError):
            return None

    # -- commit --------------------------------------------------------------------------------------
    def commit(self, message: str) -> str | None:
        """Commit everything in the work tree as the configured author (signed when configured).

        Returns the new commit, or None when the tree holds nothing new. ``add -A`` stages the
        edits, deletions and new files ``git status`` would list, so after a commit the work tree
        is that commit and the next ``sync`` need not check it out again. Files ``.gitignore``
        excludes are neither committed nor looked for: one an ``apply`` writes stays until the
        next full checkout (when the remote moves or a delivery fails).
        """
        self._git("add", "-A")
        author = self.settings.author
        config = [f"user.name={author.name}", f"user.email={author.email}"]
        # verbatim: the message is exactly what the template rendered (Flux templates keep their blank lines)
        args = ["commit", "--quiet", "--no-verify", "--cleanup=verbatim", f"--author={author.name} <{author.email}>"]
        args += ["-m", message]
        signing = self.settings.commit.signing
        if signing is not None:
            config += [
                f"gpg.format={'ssh' if signing.format == 'ssh' else 'openpgp'}",
                f"user.signingkey={signing.key}",
            ]
            args.append("--gpg-sign")
        try:
            self._git(*args, config=config)
        except GitError:
            # "nothing to commit" is a failure too; only an empty index tells it apart, in any locale.
            if self._nothing_staged():
                return None
            raise
        self._tree_is = self.head()
        return self._tree_is

    def _nothing_staged(self) -> bool:
        try:
            self._git("diff", "--cached", "--quiet")
        except GitError:
            return False
        return True

    def _apply(self, apply: Callable[[Path], Sequence[ChangeT]]) -> Sequence[ChangeT]:
        """Hand the work tree to ``apply``: from here on only a commit of it all or a checkout says what it holds."""
        self._tree_is = None
        return apply(self.root)

    # -- delivery ------------------------------------------------------------------------------------
    def deliver(
        self,
        apply: Callable[[Path], Sequence[ChangeT]],
        message: Callable[[Sequence[ChangeT]], str],
        *,
        branch: str | None = None,
    ) -> PushResult:
        """Push the changes ``apply`` makes to ``branch`` (default ``git.branch``), re-applying on the new
        head when rejected.

        ``apply`` edits files under the work tree and returns what it changed; it is called again
        on each retry, against whatever the remote now holds, so concurrent commits survive. A
        ``branch`` other than ``git.branch`` is created from ``git.branch`` when missing and from then on
        built on its own tip: a commit someone else put there is built on, never overwritten.
        """
        target = branch or self.settings.branch
        fallback = self.settings.branch if target != self.settings.branch else None
        attempts = self.settings.push_attempts
        for attempt in range(1, attempts + 1):
            self.sync(target, fallback=fallback)
            changes = self._apply(apply)
            sha = self.commit(message(changes)) if changes else None
            if sha is None:
                return PushResult(None, tuple(changes), attempt, "unchanged")
            try:
                self._git("push", "--porcelain", "origin", f"HEAD:refs/heads/{target}")
            except PushRejectedError as exc:
                log.warning("push rejected, re-applying on the new head", attempt=attempt, detail=str(exc))
                if attempt == attempts:
                    raise
                continue
            return PushResult(sha, tuple(changes), attempt, "pushed")
        raise AssertionError("unreachable")  # pragma: no cover

    def deliver_branch(
        self,
        branch: str,
        apply: Callable[[Path], Sequence[ChangeT]],
        message: Callable[[Sequence[ChangeT]], str],
    ) -> PushResult:
        """Rebuild ``branch`` as one commit on top of the current base and push it with a lease.

        The lease is the branch's value at our fetch: if anyone pushed to it since, git refuses
        and we report it instead of clobbering their work. A branch whose tip someone else made
        (a fix-up, a merge of the base) is left alone for the same reason. The base branch is
        never written.
        """
        self.sync()
        expected = self.remote_sha(branch)
        if expected is not None:
            self._refuse_foreign_tip(branch, expected)
        changes = self._apply(apply)
        sha = self.commit(message(changes)) if changes else None
        if sha is None:
            return PushResult(None, tuple(changes), 1, "unchanged")
        if expected is not None and self._same_update(expected, sha):
            return PushResult(expected, tuple(changes), 1, "branch-unchanged")
        lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
        self._git("push", "--porcelain", lease, "origin", f"HEAD:refs/heads/{branch}")
        return PushResult(sha, tuple(changes), 1, "branch-updated")

    def _refuse_foreign_tip(self, branch: str, tip: str) -> None:
        """Raise when the branch's last commit was not made by us: rebuilding it would drop that work."""
        commit = self.repo.commit(tip)
        ours = self.settings.author.email.lower()
        made_by = {str(commit.author.email).lower(), str(commit.committer.email).lower()}
        if made_by != {ours}:
            who = ", ".join(sorted(made_by - {ours}))
            raise GitError(
                f"branch {branch} on {redact_url(self.settings.url)} has a commit by {who} "
                f"({tip[:12]}) on top of ours: not rebuilding or deleting it, so that work is kept; "
                "delete the branch to let image-updater start it again"
            )

    def _same_update(self, existing: str, new: str) -> bool:
        """True when the branch already holds this exact change on this exact base."""
        old, fresh = self.repo.commit(existing), self.repo.commit(new)
        return bool(
            old.tree == fresh.tree
            and [p.hexsha for p in old.parents] == [p.hexsha for p in fresh.parents]
            and old.message == fresh.message
        )

    def line_committed_at(self, commit: str, path: str, line: int) -> float:
        """When the content of ``path:line`` at ``commit`` arrived: the committer time (Unix seconds) of
        the commit that last changed that line, as ``git blame`` reads the history (a person's commit
        counts like ours)."""
        out = self._git("blame", "--porcelain", "-L", f"{line},{line}", commit, "--", path)
        for row in out.splitlines():
            if row.startswith("committer-time "):
                return float(row.split()[1])
        raise GitError(f"git blame gave no committer time for {path}:{line} at {commit[:12]}")

    def delete_branch(self, branch: str) -> bool:
        """Delete our update branch if it still is what we last saw; False when it was already gone.

        A branch whose last commit someone else made is kept (``GitError``), like a rebuild would be.
        """
        expected = self.remote_sha(branch)
        if expected is None:
            return False
        self._refuse_foreign_tip(branch, expected)
        try:
            self._git(
                "push",
                "--porcelain",
                f"--force-with-lease=refs/heads/{branch}:{expected}",
                "origin",
                f":refs/heads/{branch}",
            )
        except PushRejectedError:
            if not self._git("ls-remote", "--heads", "origin", f"refs/heads/{branch}").strip():
                return False  # someone deleted it first: what we wanted
            raise
        return True
