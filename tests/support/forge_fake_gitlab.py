"""Fake GitLab v4 merge requests, per our facts-derived description (``forge_gitlab_spec``)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from tests.support.forge_fake import FakeForge, FakeRequest, StoredPR
from tests.support.forge_openapi import SpecChecker, overlay, sample

_MRS = r"/projects/(?P<project>[^/]+)/merge_requests"
_DRAFT = re.compile(r"^\s*(?:draft:|\[draft\]|\(draft\))\s*", re.IGNORECASE)
_GITLAB_STATE = {"open": "opened", "closed": "closed", "merged": "merged"}


class FakeGitLab(FakeForge):
    name = "GitLab"

    def __init__(self, checker: SpecChecker, *, prefix: str, token: str, project: str) -> None:
        super().__init__(checker, prefix=prefix, token=token)
        self.project = project
        self._mr = sample(checker.spec, checker.spec["components"]["schemas"]["MergeRequest"])
        self.route("GET", _MRS, self.list_mrs)
        self.route("POST", _MRS, self.create_mr)
        self.route("GET", _MRS + r"/(?P<iid>\d+)", self.get_mr)
        self.route("PUT", _MRS + r"/(?P<iid>\d+)", self.update_mr)
        self.route("PUT", _MRS + r"/(?P<iid>\d+)/merge", self.merge_mr)

    def authorized(self, request: FakeRequest) -> bool:
        return request.headers.get("private-token") == self.token

    def error_body(self, status: int, message: str) -> Any:
        return {"message": f"{status} {message}" if status in (401, 404) else message}

    def render(self, pr: StoredPR) -> Any:
        return overlay(
            self._mr,
            {
                "id": 1000 + pr.number,
                "iid": pr.number,
                "project_id": 7,
                "title": pr.title,
                "description": pr.body,
                "state": gitlab_state(pr),
                "source_branch": pr.head,
                "target_branch": pr.base,
                "web_url": f"https://gitlab.test/{self.project}/-/merge_requests/{pr.number}",
                "draft": pr.draft,
                "labels": pr.labels,
                "merge_when_pipeline_succeeds": pr.auto_merge,
            },
        )

    def _ours(self, project: str) -> bool:
        return project == self.project

    def _mr_of(self, project: str, iid: str) -> StoredPR | None:
        return self.prs.get(int(iid)) if self._ours(project) else None

    def list_mrs(self, request: FakeRequest, project: str) -> tuple[int, Any]:
        if not self._ours(project):
            return 404, self.error_body(404, "Project Not Found")
        state = request.arg("state", "all")
        source, target = request.arg("source_branch"), request.arg("target_branch")
        found = [
            pr
            for pr in self.prs.values()
            if state in ("all", gitlab_state(pr)) and source in (None, pr.head) and target in (None, pr.base)
        ]
        return 200, [self.render(pr) for pr in found]

    def create_mr(self, request: FakeRequest, project: str) -> tuple[int, Any]:
        if not self._ours(project):
            return 404, self.error_body(404, "Project Not Found")
        body = request.body
        for pr in self.open_prs():
            if pr.head == body["source_branch"] and pr.base == body["target_branch"]:
                return 409, {
                    "message": [f"Another open merge request already exists for this source branch: !{pr.number}"]
                }
        pr = self.new_pr(
            body["source_branch"],
            body["target_branch"],
            body["title"],
            body.get("description", ""),
            bool(_DRAFT.match(body["title"])),
        )
        pr.labels = [n for n in body.get("labels", "").split(",") if n]
        pr.reviewers = [str(i) for i in body.get("reviewer_ids", [])]
        return 201, self.render(pr)

    def get_mr(self, request: FakeRequest, project: str, iid: str) -> tuple[int, Any]:
        pr = self._mr_of(project, iid)
        return (200, self.render(pr)) if pr else (404, self.error_body(404, "Not found"))

    def update_mr(self, request: FakeRequest, project: str, iid: str) -> tuple[int, Any]:
        pr = self._mr_of(project, iid)
        if pr is None:
            return 404, self.error_body(404, "Not found")
        body = request.body
        if "title" in body:
            pr.title, pr.draft = body["title"], bool(_DRAFT.match(body["title"]))
        pr.body = body.get("description", pr.body)
        if body.get("state_event") == "close":
            pr.state = "closed"
        elif body.get("state_event") == "reopen":
            pr.state = "open"
        return 200, self.render(pr)

    def merge_mr(self, request: FakeRequest, project: str, iid: str) -> tuple[int, Any]:
        pr = self._mr_of(project, iid)
        if pr is None:
            return 404, self.error_body(404, "Not found")
        if pr.draft or pr.state != "open":
            return 405, {"message": "405 Method Not Allowed"}
        if (request.body or {}).get("auto_merge"):
            pr.auto_merge = True
        else:
            pr.state = "merged"
        return 200, self.render(pr)


def gitlab_state(pr: StoredPR) -> str:
    """GitLab's own word: a merged merge request is ``merged``, never ``closed``."""
    return "merged" if pr.merged else _GITLAB_STATE[pr.state]


def encoded_project(project: str) -> str:
    return quote(project, safe="")
