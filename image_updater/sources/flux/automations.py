"""ImageUpdateAutomation → a target on this repository: its GitRepository, checkout and push branches,
``update.path``, author and commit message. Whatever would make it push elsewhere or differently from Flux
refuses the whole automation (it is reported, never half-served).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from image_updater.delivery.gotemplate import GoTemplate, GoTemplateError, parse
from image_updater.sources.common import normal_path, selector_problem
from image_updater.sources.files import Document, mapping
from image_updater.sources.flux.message import DEFAULT_MESSAGE, FluxMessage, check_template
from image_updater.sources.flux.objects import SOURCE_GROUP, FluxRead
from image_updater.sources.model import DerivedTarget, Location, NotServed, SourceSet


@dataclass
class Automation:
    """An ImageUpdateAutomation: whether it is served (and why not), what it covers and selects."""

    document: Document
    served: bool = True
    reasons: list[str] = field(default_factory=list)
    path: str = "."
    selector: Any = None
    target: DerivedTarget | None = None

    def refuse(self, sources: SourceSet, where: Location, reason: str) -> None:
        self.served = False
        self.reasons.append(reason)
        sources.not_served.append(NotServed(self.document.title, where, reason))


def read_automation(read: FluxRead, document: Document) -> Automation:
    """One ImageUpdateAutomation, with the target it amounts to when it is served."""
    automation = Automation(document)
    spec = mapping(document.value("spec"))
    if spec.get("interval") is not None:
        read.finding(
            "info",
            document,
            ("spec", "interval"),
            "no effect: image-updater updates on every cycle (service.interval) and on registry webhooks",
        )
    if spec.get("suspend"):
        automation.refuse(read.sources, document.at("spec", "suspend"), "suspended (spec.suspend: true)")
    source = mapping(spec.get("sourceRef"))
    repository = None
    if (source.get("kind") or "GitRepository") != "GitRepository":
        automation.refuse(read.sources, document.at("spec", "sourceRef", "kind"), "sourceRef must be a GitRepository")
    else:
        namespace = str(source.get("namespace") or document.namespace)
        found = [
            d
            for d in read.checkout.of_kind(SOURCE_GROUP, "GitRepository")
            if (d.namespace, d.name) == (namespace, source.get("name"))
        ]
        where = document.at("spec", "sourceRef", "name")
        if not found:
            automation.refuse(
                read.sources, where, f"its GitRepository {namespace}/{source.get('name')} is not in the repository"
            )
        else:
            repository = found[0]
            url = str(repository.value("spec", "url") or "")
            if not read.context.git.names_this_repository(url):
                automation.refuse(
                    read.sources, where, f"GitRepository {repository.ref}: {read.context.other_repository(url)}"
                )
    checkout = _checkout_branch(read, automation, spec, repository)
    git = mapping(spec.get("git"))
    push = mapping(git.get("push"))
    for key in ("refspec", "options"):
        if push.get(key):
            _refuse_at(
                read,
                automation,
                ("spec", "git", "push", key),
                f"push {key} is not supported (image-updater pushes one branch, without push options)",
                f"spec.git.push.{key} is not supported",
            )
    commit = mapping(git.get("commit"))
    if commit.get("signingKey") is not None:
        read.finding(
            "warning",
            document,
            ("spec", "git", "commit", "signingKey"),
            "commits are signed as git.commit.signing says, not with this key",
        )
    update = mapping(spec.get("update"))
    path = normal_path("", str(update.get("path") or "."))
    if path is None:
        _refuse_at(
            read,
            automation,
            ("spec", "update", "path"),
            "the path leaves the repository",
            "spec.update.path is invalid",
        )
        path = "."
    if (update.get("strategy") or "Setters") != "Setters":
        _refuse_at(
            read,
            automation,
            ("spec", "update", "strategy"),
            "only the Setters strategy exists",
            "unknown update strategy",
        )
    automation.path = path
    message = _message(read, automation, commit)
    automation.selector = spec.get("policySelector")
    problem = selector_problem(automation.selector)
    if problem is not None:
        _refuse_at(read, automation, ("spec", "policySelector"), problem, "invalid policySelector")
    author = mapping(commit.get("author"))
    if automation.served and checkout is not None:
        automation.target = DerivedTarget(
            id=f"{read.context.id_prefix}flux:{document.ref}",
            kind="ImageUpdateAutomation",
            object=document.ref,
            location=document.location,
            checkout_branch=checkout,
            push_branch=str(push.get("branch") or checkout),
            paths=[path],
            author=(
                str(author.get("name") or read.context.git.author.name),
                str(author.get("email") or read.context.git.author.email),
            ),
            message=message,
            git_repository=repository.at("spec", "url") if repository is not None else None,
        )
    return automation


def _checkout_branch(
    read: FluxRead, automation: Automation, spec: Mapping[str, Any], repository: Document | None
) -> str | None:
    document = automation.document
    git = mapping(spec.get("git"))
    ref = (git.get("checkout") or {}).get("ref") if isinstance(git.get("checkout"), dict) else None
    where = document.at("spec", "git", "checkout", "ref")
    if ref is None and repository is not None:
        ref, where = repository.value("spec", "ref"), repository.at("spec", "ref")
    if ref is None:
        return read.context.git.branch  # no ref: Flux's default branch, taken as git.branch (docs/migrating.md)
    if not isinstance(ref, dict) or not ref.get("branch") or set(ref) - {"branch"}:
        automation.refuse(read.sources, where, "checks out a tag, semver range or commit, not a branch")
        return None
    branch = str(ref["branch"])
    if branch != read.context.git.branch:
        automation.refuse(
            read.sources, where, f"checks out branch {branch}; this configuration reads {read.context.git.branch}"
        )
        return None
    return branch


def _message(read: FluxRead, automation: Automation, commit: Mapping[str, Any]) -> FluxMessage:
    document = automation.document
    source = commit.get("messageTemplate")
    values = commit.get("messageTemplateValues") or {}
    template: GoTemplate
    if not source:
        template = parse(DEFAULT_MESSAGE)
    else:
        key = document.get("spec", "git", "commit", "messageTemplate")
        first = (key.line + (1 if getattr(key, "style", "") in ("|", ">") else 0)) if key is not None else 0
        try:
            template = check_template(str(source), document.namespace, document.name, values)
        except GoTemplateError as exc:
            text = str(exc)
            shown = re.sub(
                r"line (\d+)", lambda m: f"line {m.group(1)} (file line {int(m.group(1)) + first - 1})", text
            )
            _refuse_at(
                read,
                automation,
                ("spec", "git", "commit", "messageTemplate"),
                f"not supported: {shown}",
                f"spec.git.commit.messageTemplate is not supported: {shown}",
            )
            template = parse(DEFAULT_MESSAGE)
    return FluxMessage(template, document.namespace, document.name, automation.path, dict(values))


def _refuse_at(read: FluxRead, automation: Automation, path: tuple[str, ...], message: str, reason: str) -> None:
    """An error in a field of the automation (``message``) that refuses all of it (``reason``)."""
    read.finding("error", automation.document, path, message)
    automation.refuse(read.sources, automation.document.at(*path), reason)
