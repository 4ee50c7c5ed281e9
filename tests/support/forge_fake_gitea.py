"""Fake Gitea API v1 pulls, labels and merge, per gitea-pulls.json (converted to OpenAPI 3)."""

from __future__ import annotations

import re
from typing import Any

from tests.support.forge_fake import FakeForge, FakeRequest, StoredPR
from tests.support.forge_openapi import SpecChecker, overlay, sample

_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
_WIP = re.compile(r"^\s*(?:WIP:|\[WIP\])\s*", re.IGNORECASE)


class FakeGitea(FakeForge):
    name = "Gitea"

    def __init__(self, checker: SpecChecker, *, prefix: str, token: str, owner: str, repo: str) -> None:
        super().__init__(checker, prefix=prefix, token=token)
        self.owner, self.repo = owner, repo
        self.foreign: list[StoredPR] = []  # PRs from forks that happen to use the same branch name
        defs = checker.spec["components"]["schemas"]
        self._pr = sample(checker.spec, defs["PullRequest"])
        self._label = sample(checker.spec, defs["Label"])
        self.route("GET", _REPO + "/pulls", self.list_pulls)
        self.route("POST", _REPO + "/pulls", self.create_pull)
        self.route("GET", _REPO + r"/pulls/(?P<number>\d+)", self.get_pull)
        self.route("PATCH", _REPO + r"/pulls/(?P<number>\d+)", self.edit_pull)
        self.route("POST", _REPO + r"/pulls/(?P<number>\d+)/merge", self.merge_pull)
        self.route("POST", _REPO + r"/issues/(?P<number>\d+)/labels", self.add_labels)

    def authorized(self, request: FakeRequest) -> bool:
        return request.headers.get("authorization") == f"token {self.token}"

    def error_body(self, status: int, message: str) -> Any:
        return {"message": message, "url": "https://gitea.test/api/swagger"}

    def render(self, pr: StoredPR, head_repo: str | None = None) -> Any:
        full_name = head_repo or f"{self.owner}/{self.repo}"
        return overlay(
            self._pr,
            {
                "number": pr.number,
                "id": 500 + pr.number,
                "title": pr.title,
                "body": pr.body,
                "state": pr.state,
                "draft": pr.draft,
                "merged": pr.merged,
                **({"merged_at": "2026-01-02T03:04:05Z"} if pr.merged else {}),
                "html_url": f"https://gitea.test/{self.owner}/{self.repo}/pulls/{pr.number}",
                "labels": [overlay(self._label, {"name": n}) for n in pr.labels],
                "head": {"ref": pr.head, "label": pr.head, "repo": {"full_name": full_name}},
                "base": {
                    "ref": pr.base,
                    "label": pr.base,
                    "repo": {"full_name": f"{self.owner}/{self.repo}"},
                },
            },
        )

    def _pr_of(self, owner: str, repo: str, number: str) -> StoredPR | None:
        return self.prs.get(int(number)) if (owner, repo) == (self.owner, self.repo) else None

    def list_pulls(self, request: FakeRequest, owner: str, repo: str) -> tuple[int, Any]:
        if (owner, repo) != (self.owner, self.repo):
            return 404, None
        state, base = request.arg("state", "open"), request.arg("base_branch")
        page, limit = int(request.arg("page", "1") or 1), int(request.arg("limit", "30") or 30)
        rendered = [self.render(pr, "someone/fork") for pr in self.foreign]
        rendered += [self.render(pr) for pr in self.prs.values()]
        found = [item for item in rendered if state in ("all", item["state"]) and base in (None, item["base"]["ref"])]
        return 200, found[(page - 1) * limit : page * limit]

    def create_pull(self, request: FakeRequest, owner: str, repo: str) -> tuple[int, Any]:
        body = request.body
        if any(pr.head == body.get("head") and pr.base == body.get("base") for pr in self.open_prs()):
            return 409, self.error_body(409, "pull request already exists for these targets")
        pr = self.new_pr(
            body["head"], body["base"], body["title"], body.get("body", ""), bool(_WIP.match(body["title"]))
        )
        pr.reviewers = list(body.get("reviewers", []))
        pr.team_reviewers = list(body.get("team_reviewers", []))
        return 201, self.render(pr)

    def get_pull(self, request: FakeRequest, owner: str, repo: str, number: str) -> tuple[int, Any]:
        pr = self._pr_of(owner, repo, number)
        return (200, self.render(pr)) if pr else (404, None)

    def edit_pull(self, request: FakeRequest, owner: str, repo: str, number: str) -> tuple[int, Any]:
        pr = self._pr_of(owner, repo, number)
        if pr is None:
            return 404, None
        body = request.body
        if "title" in body:
            pr.title, pr.draft = body["title"], bool(_WIP.match(body["title"]))
        pr.body = body.get("body", pr.body)
        pr.state = body.get("state", pr.state)
        return 201, self.render(pr)

    def merge_pull(self, request: FakeRequest, owner: str, repo: str, number: str) -> tuple[int, Any]:
        pr = self._pr_of(owner, repo, number)
        if pr is None:
            return 404, None
        if pr.draft:
            return 405, None
        if request.body.get("merge_when_checks_succeed"):
            pr.auto_merge = True
        else:
            pr.state, pr.merged = "closed", True
        return 200, None

    def add_labels(self, request: FakeRequest, owner: str, repo: str, number: str) -> tuple[int, Any]:
        pr = self._pr_of(owner, repo, number)
        if pr is None:
            return 404, None
        pr.labels += [str(n) for n in request.body.get("labels", []) if str(n) not in pr.labels]
        return 200, [overlay(self._label, {"name": n}) for n in pr.labels]
