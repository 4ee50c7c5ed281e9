"""The config repo's working copy: sync with the remote, commit, and push without ever losing work.

Pushing to the branch never forces: a rejected push means someone else moved the branch, so we fetch,
re-apply the same decisions on their head and try again. Update branches for pull requests are the
only refs we rewrite, and only with ``--force-with-lease`` on the value we last saw.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import os
import re
import shlex
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from image_updater.errors import GitError, PushRejectedError
from image_updater.gitops.settings import GitSettings

if TYPE_CHECKING:  # GitPython (36 ms) is imported where git first runs, not with this module (bench/startup.py)
    import git
from image_updater.logs import get_logger
from image_updater.retry import backoff_delay
from image_updater.secrets import redact_url

log = get_logger(__name__)

ChangeT = TypeVar("ChangeT")
# Only "the ref moved under us" is worth a fetch and another try: the remote's branch was ahead
# ("[rejected] (fetch first)", "non-fast-forward", a lease: "stale info"), or it moved while our push
# was being applied and the remote lost the race to lock or update the ref ("[remote rejected] …
# (failed to update ref)", "cannot lock ref 'refs/heads/main': is at X but expected Y", "Unable to
# create '…/main.lock': File exists", "incorrect old value provided"). A server that refuses the push
# ("[remote rejected] (pre-receive hook declined)", a protected branch) refuses it every time.
_REJECTED = re.compile(
    r"\[rejected\]|stale info|fetch first|non-fast-forward|failed to update ref|cannot lock ref"
    r"|is at [0-9a-f]+ but expected|unable to create '[^']*\.lock'|incorrect old value|failed to lock",
    re.IGNORECASE,
)
_MAX_PUSH_BACKOFF = 10.0


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


# The credential helper of the machine (store, cache, a keychain) must neither see nor keep the token:
# the first ``credential.helper=`` empties the helper list, and with a token the only helper left answers
# ``get`` from the environment git is started with (nothing on disk, nothing in .git/config).
_NO_HELPERS = "credential.helper="
_TOKEN_HELPER = (
    'credential.helper=!f() { cat >/dev/null; test "$1" = get || exit 0; '
    'printf \'username=%s\\npassword=%s\\n\' "$IU_GIT_USERNAME" "$IU_GIT_TOKEN"; }; f'
)
#: How long a sync waits for another image-updater process working in the same checkout.
WORKDIR_WAIT = 600.0


#: A file inside ``.git`` of every checkout image-updater clones: only those may be reset and cleaned.
#: It is written before anything else, so a clone killed half-way is still known to be ours.
OWNED_MARKER = "image-updater-checkout"
#: Inside ``.git``: which ``ConfigRepo`` last held the work dir's lock (see ``_take_over``).
HOLDER_FILE = "image-updater-holder"
# Loose-object folders (``objects/ab``) hold no lock files and can number 256: not walked for stale locks.
_LOOSE_OBJECTS = re.compile(r"^[0-9a-f]{2}$")


@dataclass(frozen=True)
class PushResult:
    """What a push did: the commit pushed (None when nothing changed) and how many tries it took."""

    commit: str | None
    changes: tuple[Any, ...]
    attempts: int
    action: str  # "pushed" | "unchanged" | "branch-updated" | "branch-unchanged"


#: Called after every push attempt with (seconds it took, whether the remote accepted it).
PushObserver = Callable[[float, bool], None]


class ConfigRepo:
    """A working copy of the config repo under ``workdir``, driven through git itself (GitPython).

    Every public operation holds an exclusive ``flock`` on the work dir (shared with the git processes
    it starts, so a git left running by a killed image-updater still holds it), so two processes
    sharing one checkout (``run --once`` beside the service) take turns, and a ``*.lock`` file found
    while holding it was left by a process that died: it is removed. A checkout that fails its health
    check (HEAD resolves, the remote is ours) is discarded and cloned afresh.
    """

    def __init__(
        self, settings: GitSettings, workdir: Path, *, token: str | None = None, on_push: PushObserver | None = None
    ) -> None:
        self.settings = settings
        self.root = workdir
        self._on_push = on_push
        self._env = self._auth_env(token)
        self._config = [_NO_HELPERS, _TOKEN_HELPER] if token else [_NO_HELPERS]
        self._repo: git.Repo | None = None
        # The commit the index and work tree hold exactly, as left by our own checkout or commit; None
        # once we hand the work tree to an ``apply`` (it may write anything) until we commit or re-sync.
        self._tree_is: str | None = None
        self._lock_fd: int | None = None
        self._depth = 0
        self._checked = False  # the health check passed in this process, and nothing failed since
        # Written into ``.git/HOLDER_FILE`` whenever we take the lock after someone else held it: finding
        # another value there means another process worked in the checkout, so ``_tree_is`` is void.
        self._holder = f"{os.getpid()}-{uuid.uuid4().hex}"
        self._background: concurrent.futures.ThreadPoolExecutor | None = None
        #: Full checkouts made (``checkout --force`` and ``clean``): when it moves, whatever was read from
        #: the work tree before may differ from what it holds now (``cycle.TargetRunner`` compares it).
        self.checkouts = 0

    # -- environment -------------------------------------------------------------------------------
    def _auth_env(self, token: str | None) -> dict[str, str]:
        env = {"GIT_TERMINAL_PROMPT": "0"}
        if token:
            # Read by the credential helper in ``_TOKEN_HELPER``: the token never sits on disk.
            env.update(IU_GIT_TOKEN=token, IU_GIT_USERNAME=self.settings.username)
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

    def _run(self, args: Sequence[str], *, cwd: Path, config: Sequence[str] = (), stdin: bytes | None = None) -> str:
        """Run ``git -c … args`` in ``cwd``; errors name the subcommand (``args[0]``) and the remote.

        ``stdin`` goes through a temporary file, not an argument: Linux refuses any single argument over
        128 KiB (``MAX_ARG_STRLEN``), which a commit message listing 4,800 changes passes (``bench/README``).
        """
        import git

        options = [item for setting in (*self._config, *config) for item in ("-c", setting)]
        runner = self._repo.git if self._repo is not None and cwd == self.root else git.Git(str(cwd))
        keep = (self._lock_fd,) if self._lock_fd is not None else ()
        try:
            with runner.custom_environment(**self._env), contextlib.ExitStack() as stack:
                source = None
                if stdin is not None:
                    source = stack.enter_context(tempfile.TemporaryFile())
                    source.write(stdin)
                    source.seek(0)
                return str(runner.execute(["git", *options, *args], pass_fds=keep, istream=source))
        except git.GitCommandError as exc:
            # push --porcelain gives the reason per ref on stdout ("!  ref  [rejected] (stale info)").
            refused = [
                " ".join(line[1:].split()) for line in str(exc.stdout or "").splitlines() if line.startswith("!")
            ]
            detail = redact_url("; ".join([*refused, str(exc.stderr or exc).strip()]))
            if args and args[0] == "push" and _REJECTED.search(detail):
                raise PushRejectedError(f"push to {redact_url(self.settings.url)} rejected: {detail}") from None
            detail = auth_failure(detail, self.settings) or detail
            raise GitError(f"git {args[0]} failed for {redact_url(self.settings.url)}: {detail}") from None

    def _git(self, *args: str, config: Sequence[str] = (), stdin: bytes | None = None) -> str:
        self.repo  # noqa: B018 - raises when nothing was synced yet
        return self._run(args, cwd=self.root, config=config, stdin=stdin)

    def _push(self, *args: str) -> str:
        """``git push``, timed for the push metrics whatever its outcome."""
        started, accepted = time.monotonic(), False
        try:
            out = self._git("push", *args)
            accepted = True
            return out
        finally:
            if self._on_push is not None:
                self._on_push(time.monotonic() - started, accepted)

    # -- one process at a time, and recovery from the ones that died -----------------------------
    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the work dir's lock for one public operation (re-entrant); on first entry, recover."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            self._wait_for_lock(fd)
            self._lock_fd, self._depth = fd, 1
            try:
                self._take_over()
                self._recover()
                yield
                self._take_over(held=True)  # a clone made during the operation gets our mark
            except BaseException:
                self._checked = False  # look at the checkout again before trusting it next time
                raise
            finally:
                self._lock_fd, self._depth = None, 0
        finally:
            os.close(fd)  # releases the lock (git processes that inherited it have exited)

    def _take_over(self, *, held: bool = False) -> None:
        """Forget what we knew of the work tree when another process held the lock since we last did.

        Our mark goes in before anything else is done, so a process that dies after taking the lock
        still leaves its own mark, never ours. One small read per operation instead of a ``git status``.
        ``held``: we held the lock throughout (the end of an operation that cloned): only mark it.
        """
        mark = self.root / ".git" / HOLDER_FILE
        try:
            holder = mark.read_text()
        except OSError:
            holder = None
        if holder == self._holder:
            return
        if not held:
            self._tree_is = None
        if (mark.parent / OWNED_MARKER).is_file():  # never written into a repository we did not clone
            mark.write_text(self._holder)

    def _wait_for_lock(self, fd: int) -> None:
        deadline = time.monotonic() + WORKDIR_WAIT
        waiting = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise GitError(
                        f"git.workdir {self.root} is in use by another image-updater process "
                        f"(waited {WORKDIR_WAIT:g}s); give each process its own git.workdir"
                    ) from None
                if not waiting:
                    log.info("waiting for another process working in the checkout", workdir=str(self.root))
                    waiting = True
                time.sleep(0.05)

    def _recover(self) -> None:
        """Make the checkout usable after whatever the last process left: stale locks, half a clone."""
        dot_git = self.root / ".git"
        if not dot_git.exists():
            self._repo, self._tree_is = None, None  # gone (or never there): clone, healthy by construction
            self._checked = True
            return
        if not (dot_git / OWNED_MARKER).is_file():
            # Every sync runs checkout --force and clean -fdx: never on a repository someone else made.
            raise GitError(
                f"git.workdir {self.root} holds a Git repository image-updater did not clone; "
                "point git.workdir at an empty or new folder"
            )
        for stale in _lock_files(dot_git):
            # We hold the work dir's lock, which every image-updater process and its git children
            # take: whoever made this lock file is gone, and git refuses to run while it exists.
            log.warning("removing a lock file left by a process that died", file=str(stale))
            stale.unlink(missing_ok=True)
        if self._checked and self._repo is not None:
            return
        problem = self._health_problem()
        if problem is not None:
            log.warning("discarding a broken checkout and cloning afresh", workdir=str(self.root), reason=problem)
            self._discard()
        self._checked = True

    def _health_problem(self) -> str | None:
        """Why the checkout in ``root`` cannot be used as it is (None: it can), fixing the remote URL."""
        import git

        try:
            repo = git.Repo(self.root)
            origin = repo.remote("origin")
            origin_url = origin.url
            repo.head.commit.tree  # noqa: B018 - HEAD resolves to a commit that is there (a killed clone has none)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitError, ValueError, OSError) as exc:
            self._repo = None
            return f"{type(exc).__name__}: {exc}"
        if self._repo is None or self._repo.working_dir != repo.working_dir:
            self._repo = repo
            self._tree_is = None
        if origin_url != self.settings.url:
            # After ``git.url`` changes (a restart with a kept volume) the old checkout would otherwise
            # keep pushing to the old remote.
            self._git("remote", "set-url", "origin", self.settings.url)
            self._tree_is = None
        return None

    def _discard(self) -> None:
        """Empty the work dir (ours: it holds the marker), keeping the folder itself (it may be a mount point)."""
        self._repo, self._tree_is = None, None
        for entry in os.scandir(self.root):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)

    def _clone(self) -> None:
        """``git clone --no-checkout`` in steps, the ownership marker first: a kill at any point leaves a
        checkout known to be ours, which the next run's health check discards."""
        import git

        if any(os.scandir(self.root)):
            raise GitError(
                f"git.workdir {self.root} holds files but no Git repository; "
                "point git.workdir at an empty or new folder"
            )
        dot_git = self.root / ".git"
        dot_git.mkdir()
        (dot_git / OWNED_MARKER).write_text("created by image-updater; it may reset this checkout\n")
        self._run(["init", "--quiet", str(self.root)], cwd=self.root)
        self._repo = git.Repo(self.root)
        self._git("remote", "add", "origin", self.settings.url)

    # -- sync ----------------------------------------------------------------------------------------
    def sync(self, branch: str | None = None, *, fallback: str | None = None) -> str:
        """Clone or fetch, then make the work tree exactly the remote ``branch``; return its commit.

        ``fallback``: the branch to start from when ``branch`` does not exist yet (a push branch is
        created from ``git.branch``); the local branch is named ``branch`` either way.

        The remote is asked every time (``_fetch``). ``checkout --force`` and ``clean -fdx`` (a third
        of a cycle's Git time on a 1,000-file repo) are skipped when the branch is still the commit
        our own checkout or commit left in the work tree and nothing has been handed the tree to
        write since, or, in a checkout an earlier process left, when it is the branch's commit and
        ``git status`` (ignored files included) shows nothing else.
        """
        with self._exclusive():
            return self._sync(branch or self.settings.branch, fallback)

    def known(self, branch: str) -> str | None:
        """The commit the work tree holds, when it is ``branch`` as we last fetched or pushed it and nothing
        touched it since (no other process took the checkout, nothing was applied); else None.

        Asks nobody: a cycle that plans on it skips ``sync``'s ``ls-remote`` and ``status`` (a webhook's
        cycle: ``bench/webhook_latency.py``). A remote that moved meanwhile rejects the push, and the
        retry fetches and re-applies; the caller syncs for real when it ends up with nothing to push.
        """
        with self._exclusive():
            if self._repo is None or self._tree_is is None:
                return None
            tree = self._tree_is
            return tree if self._on(branch, tree) and self.remote_sha(branch) == tree else None

    def _sync(self, branch: str, fallback: str | None = None) -> str:
        if self._repo is None:
            self._clone()
        known = self._tree_is
        if known is None and self._repo is not None and self._repo.head.is_valid():
            # A checkout an earlier process left (a restarted service, plan's kept one): trusted as its HEAD
            # only when git status shows nothing else in it, as after our own checkout.
            known = self.head()
        # The work tree is looked at while the remote is asked: two processes at once, one's wait.
        untouched = self._in_background(self._untouched) if known is not None else None
        try:
            self._fetch()
        finally:
            clean = untouched is not None and untouched.result()
        start = branch if fallback is None or self.remote_sha(branch) is not None else fallback
        remote_ref = f"refs/remotes/origin/{start}"
        fetched = self.remote_sha(start)
        if fetched is None:
            raise GitError(f"branch {start} does not exist on {redact_url(self.settings.url)}")
        if known == fetched and self._on(branch, fetched) and clean:
            self._tree_is = fetched
            return fetched
        self._tree_is = None
        self.checkouts += 1
        first = self._repo is not None and not self._repo.head.is_valid()  # a new clone: no file to clean
        self._git("checkout", "--force", "-B", branch, remote_ref)
        if not first:
            self._git("clean", "-fdx")
        self._tree_is = self.head()
        return self._tree_is

    def _in_background(self, work: Callable[[], bool]) -> concurrent.futures.Future[bool]:
        if self._background is None:
            self._background = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="git-status")
        return self._background.submit(work)

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
        tracking = self._tracking_refs()
        if not tracking:  # a new clone: there is nothing to compare, and nothing for maintenance to do yet
            self._git("fetch", "--prune", "--no-auto-maintenance", "origin")
            return
        advertised: dict[str, str] = {}
        for line in self._git("ls-remote", "--heads", "origin").splitlines():
            sha, _, ref = line.partition("\t")
            advertised[ref.removeprefix("refs/heads/")] = sha
        if advertised != tracking:
            self._git("fetch", "--prune", "origin")

    def _tracking_refs(self) -> dict[str, str]:
        """Branch → commit of our ``refs/remotes/origin/*`` (read from files, no process)."""
        import git

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
        import git

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
        args += ["-F", "-"]
        signing = self.settings.commit.signing
        if signing is not None:
            config += [
                f"gpg.format={'ssh' if signing.format == 'ssh' else 'openpgp'}",
                f"user.signingkey={signing.key}",
            ]
            args.append("--gpg-sign")
        try:
            self._git(*args, config=config, stdin=message.encode())
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
        planned_on: str | None = None,
    ) -> PushResult:
        """Push the changes ``apply`` makes to ``branch`` (default ``git.branch``), re-applying on the new
        head when rejected.

        ``planned_on``: the commit the caller synced and planned on. While the work tree still holds
        exactly that (no other process took the checkout, nothing was applied since), the first attempt
        commits and pushes without asking the remote again; a remote that moved meanwhile rejects the
        push, and the retry fetches and re-applies. Two processes fewer on the hot path (``bench/``).

        ``apply`` edits files under the work tree and returns what it changed; it is called again
        on each retry, against whatever the remote now holds, so concurrent commits survive. A
        ``branch`` other than ``git.branch`` is created from ``git.branch`` when missing and from then on
        built on its own tip: a commit someone else put there is built on, never overwritten.
        """
        with self._exclusive():
            return self._deliver(apply, message, branch or self.settings.branch, planned_on)

    def _deliver(
        self,
        apply: Callable[[Path], Sequence[ChangeT]],
        message: Callable[[Sequence[ChangeT]], str],
        target: str,
        planned_on: str | None,
    ) -> PushResult:
        fallback = self.settings.branch if target != self.settings.branch else None
        attempts = self.settings.push_attempts
        for attempt in range(1, attempts + 1):
            current = attempt == 1 and planned_on is not None and self._tree_is == planned_on
            if not (current and self._on(target, planned_on or "")):
                self.sync(target, fallback=fallback)
            changes = self._apply(apply)
            sha = self.commit(message(changes)) if changes else None
            if sha is None:
                return PushResult(None, tuple(changes), attempt, "unchanged")
            try:
                self._push("--porcelain", "origin", f"HEAD:refs/heads/{target}")
            except PushRejectedError as exc:
                if attempt == attempts:
                    raise
                # Writers that lost together would collide again at once: wait, longer each time, at random.
                wait = backoff_delay(attempt - 1, self.settings.push_backoff, _MAX_PUSH_BACKOFF)
                log.warning(
                    "push rejected, re-applying on the new head",
                    attempt=attempt,
                    attempts=attempts,
                    wait=round(wait, 2),
                    detail=str(exc),
                )
                time.sleep(wait)
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
        with self._exclusive():
            return self._deliver_branch(branch, apply, message)

    def _deliver_branch(
        self,
        branch: str,
        apply: Callable[[Path], Sequence[ChangeT]],
        message: Callable[[Sequence[ChangeT]], str],
    ) -> PushResult:
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
        self._push("--porcelain", lease, "origin", f"HEAD:refs/heads/{branch}")
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
        with self._exclusive():
            return self._delete_branch(branch)

    def _delete_branch(self, branch: str) -> bool:
        expected = self.remote_sha(branch)
        if expected is None:
            return False
        self._refuse_foreign_tip(branch, expected)
        try:
            self._push(
                "--porcelain", f"--force-with-lease=refs/heads/{branch}:{expected}", "origin", f":refs/heads/{branch}"
            )
        except PushRejectedError:
            if not self._git("ls-remote", "--heads", "origin", f"refs/heads/{branch}").strip():
                return False  # someone deleted it first: what we wanted
            raise
        return True


def _lock_files(dot_git: Path) -> Iterator[Path]:
    """Every ``*.lock`` file in a ``.git`` folder (index, HEAD, refs, packed-refs, config, shallow …)."""
    for folder, subfolders, files in os.walk(dot_git):
        if Path(folder) == dot_git / "objects":
            subfolders[:] = [name for name in subfolders if not _LOOSE_OBJECTS.match(name)]
        for name in files:
            if name.endswith(".lock"):
                yield Path(folder, name)
