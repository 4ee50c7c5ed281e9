"""Fake GitHub REST: pulls, labels, reviewers, merge and App installation tokens, per github-pulls.json."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from tests.support.forge_fake import FakeForge, FakeRequest, StoredPR
from tests.support.forge_openapi import SpecChecker, overlay, sample

_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"


class FakeGitHub(FakeForge):
    name = "GitHub"

    def __init__(
        self,
        checker: SpecChecker,
        *,
        prefix: str,
        token: str,
        owner: str,
        repo: str,
        app: tuple[int, int, str] | None = None,
    ) -> None:
        super().__init__(checker, prefix=prefix, token=token)
        self.owner, self.repo = owner, repo
        self.app = app  # (app_id, installation_id, public key PEM)
        self.installation_tokens: list[str] = []
        self.token_expiry = timedelta(hours=1)
        schemas = checker.spec["components"]["schemas"]
        self._full = sample(checker.spec, schemas["pull-request"])
        self._simple = sample(checker.spec, schemas["pull-request-simple"])
        self._label_items = {
            kind: sample(checker.spec, schemas[kind]["properties"]["labels"]["items"])
            for kind in ("pull-request", "pull-request-simple")
        }
        self.route("GET", _REPO + "/pulls", self.list_pulls)
        self.route("POST", _REPO + "/pulls", self.create_pull)
        self.route("GET", _REPO + r"/pulls/(?P<number>\d+)", self.get_pull)
        self.route("PATCH", _REPO + r"/pulls/(?P<number>\d+)", self.update_pull)
        self.route("POST", _REPO + r"/issues/(?P<number>\d+)/labels", self.add_labels)
        self.route("POST", _REPO + r"/pulls/(?P<number>\d+)/requested_reviewers", self.request_reviewers)
        self.route("POST", r"/app/installations/(?P<installation>\d+)/access_tokens", self.access_token)

    def authorized(self, request: FakeRequest) -> bool:
        if request.path.startswith("/app/"):
            return True  # checked against the App's key in access_token
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() in ("bearer", "token") and (value == self.token or value in self.installation_tokens)

    def error_body(self, status: int, message: str) -> Any:
        return {
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": str(status),
        }

    def render(self, pr: StoredPR, *, simple: bool = False) -> Any:
        url = f"https://github.test/{self.owner}/{self.repo}/pull/{pr.number}"
        label = self._label_items["pull-request-simple" if simple else "pull-request"]
        labels = [overlay(label, {"name": n}) for n in pr.labels]
        merged: dict[str, Any] = {"merged_at": "2026-01-02T03:04:05Z" if pr.merged else None}
        if not simple:
            merged["merged"] = pr.merged
        return overlay(
            self._simple if simple else self._full,
            {
                **merged,
                "number": pr.number,
                "html_url": url,
                "title": pr.title,
                "body": pr.body,
                "state": pr.state,
                "draft": pr.draft,
                "labels": labels,
                "head": {"ref": pr.head, "label": f"{self.owner}:{pr.head}"},
                "base": {"ref": pr.base, "label": f"{self.owner}:{pr.base}"},
            },
        )

    def _pr(self, owner: str, repo: str, number: str) -> StoredPR | None:
        return self.prs.get(int(number)) if (owner, repo) == (self.owner, self.repo) else None

    def list_pulls(self, request: FakeRequest, owner: str, repo: str) -> tuple[int, Any]:
        if (owner, repo) != (self.owner, self.repo):
            return 404, self.error_body(404, "Not Found")
        state, head, base = request.arg("state", "open"), request.arg("head"), request.arg("base")
        found = [
            pr
            for pr in self.prs.values()
            if state in ("all", pr.state)
            and (head is None or f"{self.owner}:{pr.head}" == head)
            and (base is None or pr.base == base)
        ]
        return 200, [self.render(pr, simple=True) for pr in found]

    def create_pull(self, request: FakeRequest, owner: str, repo: str) -> tuple[int, Any]:
        body = request.body
        missing = [f for f in ("title", "head", "base") if f not in body]
        if missing:
            return 422, {
                **self.error_body(422, "Validation Failed"),
                "errors": [{"resource": "PullRequest", "code": "missing_field", "field": f} for f in missing],
            }
        if any(pr.head == body["head"] and pr.base == body["base"] for pr in self.open_prs()):
            return 422, {
                **self.error_body(422, "Validation Failed"),
                "errors": [
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"A pull request already exists for {self.owner}:{body['head']}.",
                    }
                ],
            }
        pr = self.new_pr(body["head"], body["base"], body["title"], body.get("body", ""), body.get("draft", False))
        return 201, self.render(pr)

    def get_pull(self, request: FakeRequest, owner: str, repo: str, number: str) -> tuple[int, Any]:
        pr = self._pr(owner, repo, number)
        return (200, self.render(pr)) if pr else (404, self.error_body(404, "Not Found"))

    def update_pull(self, request: FakeRequest, owner: str, repo: str, number: str) -> tuple[int, Any]:
        pr = self._pr(owner, repo, number)
        if pr is None:
            return 404, self.error_body(404, "Not Found")
        pr.title = request.body.get("title", pr.title)
        pr.body = request.body.get("body", pr.body)
        pr.state = request.body.get("state", pr.state)
        return 200, self.render(pr)

    def add_labels(self, request: FakeRequest, owner: str, repo: str, number: str) -> tuple[int, Any]:
        pr = self._pr(owner, repo, number)
        if pr is None:
            return 404, self.error_body(404, "Not Found")
        pr.labels += [n for n in request.body["labels"] if n not in pr.labels]
        label = sample(self.checker.spec, self.checker.spec["components"]["schemas"]["label"])
        return 200, [overlay(label, {"name": n}) for n in pr.labels]

    def request_reviewers(self, request: FakeRequest, owner: str, repo: str, number: str) -> tuple[int, Any]:
        pr = self._pr(owner, repo, number)
        if pr is None:
            return 404, self.error_body(404, "Not Found")
        pr.reviewers += request.body.get("reviewers", [])
        pr.team_reviewers += request.body.get("team_reviewers", [])
        return 201, self.render(pr, simple=True)

    def access_token(self, request: FakeRequest, installation: str) -> tuple[int, Any]:
        if self.app is None or int(installation) != self.app[1]:
            return 404, self.error_body(404, "Not Found")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            claims = jwt.decode(token, self.app[2], algorithms=["RS256"], options={"require": ["iat", "exp", "iss"]})
        except jwt.PyJWTError as exc:
            return 401, self.error_body(401, f"A JSON web token could not be decoded: {exc}")
        if scheme != "Bearer" or claims["iss"] != str(self.app[0]) or claims["exp"] - claims["iat"] > 600:
            return 401, self.error_body(401, "'Expiration time' claim ('exp') is too far in the future")
        issued = f"ghs_{secrets.token_hex(16)}"
        self.installation_tokens.append(issued)
        expires = (datetime.now(UTC) + self.token_expiry).strftime("%Y-%m-%dT%H:%M:%SZ")
        return 201, {"token": issued, "expires_at": expires}
