"""An OpenAPI 3.0 description of the GitLab v4 merge-request endpoints this project uses.

Written by us and derived only from ``/work/shared/specs/gitlab-mrs-facts.md`` (our own notes on
GitLab's "Merge requests API" page); GitLab's published spec is CC BY-SA and is not copied here.
Where the notes list every optional field of an operation, the body is closed
(``additionalProperties: false``); facts the notes do not state (e.g. exact lengths) are not encoded.
"""

from __future__ import annotations

from typing import Any

_INT = {"type": "integer"}
_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_DATETIME = {"type": "string", "format": "date-time"}
_IDS = {"type": "array", "items": _INT}
_MR_STATES = ["opened", "closed", "locked", "merged"]


def _path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema}


_USER = {
    "type": "object",
    "required": ["id", "username"],
    "properties": {
        "id": _INT,
        "username": _STR,
        "name": _STR,
        "state": _STR,
        "avatar_url": {"type": "string", "nullable": True},
        "web_url": _STR,
    },
}

_MERGE_REQUEST = {
    "type": "object",
    "required": ["id", "iid", "project_id", "title", "state", "source_branch", "target_branch", "web_url"],
    "properties": {
        "id": _INT,
        "iid": _INT,
        "project_id": _INT,
        "title": _STR,
        "description": {"type": "string", "nullable": True},
        "state": {"type": "string", "enum": _MR_STATES},
        "created_at": _DATETIME,
        "updated_at": _DATETIME,
        "merged_at": {**_DATETIME, "nullable": True},
        "closed_at": {**_DATETIME, "nullable": True},
        "merge_user": {"allOf": [{"$ref": "#/components/schemas/User"}], "nullable": True},
        "closed_by": {"allOf": [{"$ref": "#/components/schemas/User"}], "nullable": True},
        "source_branch": _STR,
        "target_branch": _STR,
        "source_project_id": _INT,
        "target_project_id": _INT,
        "author": {"$ref": "#/components/schemas/User"},
        "assignees": {"type": "array", "items": {"$ref": "#/components/schemas/User"}},
        "reviewers": {"type": "array", "items": {"$ref": "#/components/schemas/User"}},
        "labels": {"type": "array", "items": {"oneOf": [_STR, {"type": "object"}]}},
        "draft": _BOOL,
        "work_in_progress": _BOOL,
        "merge_when_pipeline_succeeds": _BOOL,
        "detailed_merge_status": _STR,
        "has_conflicts": _BOOL,
        "sha": {"type": "string", "nullable": True},
        "squash": _BOOL,
        "should_remove_source_branch": {"type": "boolean", "nullable": True},
        "force_remove_source_branch": {"type": "boolean", "nullable": True},
        "references": {"type": "object", "properties": {"short": _STR, "relative": _STR, "full": _STR}},
        "web_url": _STR,
        "user_notes_count": _INT,
    },
}

_PROJECT_ID = _path_param("id", _STR)  # numeric ID or URL-encoded full path
_MR_IID = _path_param("merge_request_iid", _INT)

_LIST_FILTERS = [
    _query("state", {"type": "string", "enum": ["opened", "closed", "locked", "merged", "all"]}),
    _query("source_branch", _STR),
    _query("target_branch", _STR),
    _query("labels", _STR),
    _query("with_labels_details", _BOOL),
    _query("milestone", _STR),
    _query("scope", {"type": "string", "enum": ["created_by_me", "assigned_to_me", "reviews_for_me", "all"]}),
    _query("author_id", _INT),
    _query("author_username", _STR),
    _query("assignee_id", _INT),
    _query("reviewer_id", _INT),
    _query("reviewer_username", _STR),
    {
        "name": "iids[]",
        "in": "query",
        "schema": {"type": "array", "items": _INT},
        "style": "form",
        "explode": True,
    },
    _query("search", _STR),
    _query("in", _STR),
    _query("created_after", _DATETIME),
    _query("created_before", _DATETIME),
    _query("updated_after", _DATETIME),
    _query("updated_before", _DATETIME),
    _query("order_by", _STR),
    _query("sort", {"type": "string", "enum": ["asc", "desc"]}),
    _query("draft", {"type": "string", "enum": ["yes", "no"]}),
    _query("wip", {"type": "string", "enum": ["yes", "no"]}),
    _query("view", {"type": "string", "enum": ["simple"]}),
    _query("with_merge_status_recheck", _BOOL),
    _query("page", {"type": "integer", "minimum": 1}),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100}),
]

_COMMON_WRITE = {
    "description": {"type": "string", "maxLength": 1_048_576},
    "assignee_id": _INT,
    "assignee_ids": _IDS,
    "reviewer_ids": _IDS,
    "milestone_id": _INT,
    "remove_source_branch": _BOOL,
    "squash": _BOOL,
    "allow_collaboration": _BOOL,
    "allow_maintainer_to_push": _BOOL,
    "merge_after": _DATETIME,
}

_CREATE_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["source_branch", "target_branch", "title"],
    "properties": {
        "source_branch": _STR,
        "target_branch": _STR,
        "title": _STR,
        "labels": _STR,
        "target_project_id": _INT,
        "approvals_before_merge": _INT,
        **_COMMON_WRITE,
    },
}

_UPDATE_BODY = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "title": _STR,
        "target_branch": _STR,
        "state_event": {"type": "string", "enum": ["close", "reopen"]},
        "labels": _STR,
        "add_labels": _STR,
        "remove_labels": _STR,
        "discussion_locked": _BOOL,
        **_COMMON_WRITE,
    },
}

_MERGE_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "merge_commit_message": _STR,
        "squash_commit_message": _STR,
        "squash": _BOOL,
        "should_remove_source_branch": _BOOL,
        "sha": _STR,
        "auto_merge": _BOOL,
        "merge_when_pipeline_succeeds": _BOOL,
    },
}

_ERROR = {"type": "object", "properties": {"message": {}, "error": _STR}}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_MR_REF = {"$ref": "#/components/schemas/MergeRequest"}
_ERRORS = {str(code): _json(_ERROR, "error") for code in (400, 401, 403, 404, 409, 422)}

GITLAB_MRS_SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "GitLab merge requests (derived from gitlab-mrs-facts.md)", "version": "v4"},
    "servers": [{"url": "/"}],
    "security": [{"PrivateToken": []}, {"Bearer": []}],
    "components": {
        "securitySchemes": {
            "PrivateToken": {"type": "apiKey", "in": "header", "name": "PRIVATE-TOKEN"},
            "Bearer": {"type": "http", "scheme": "bearer"},
        },
        "schemas": {"User": _USER, "MergeRequest": _MERGE_REQUEST},
    },
    "paths": {
        "/projects/{id}/merge_requests": {
            "get": {
                "operationId": "listProjectMergeRequests",
                "parameters": [_PROJECT_ID, *_LIST_FILTERS],
                "responses": {"200": _json({"type": "array", "items": _MR_REF}), **_ERRORS},
            },
            "post": {
                "operationId": "createMergeRequest",
                "parameters": [_PROJECT_ID],
                "requestBody": _body(_CREATE_BODY),
                "responses": {"201": _json(_MR_REF, "Created"), **_ERRORS},
            },
        },
        "/projects/{id}/merge_requests/{merge_request_iid}": {
            "get": {
                "operationId": "getMergeRequest",
                "parameters": [
                    _PROJECT_ID,
                    _MR_IID,
                    _query("include_diverged_commits_count", _BOOL),
                    _query("include_rebase_in_progress", _BOOL),
                    _query("render_html", _BOOL),
                ],
                "responses": {"200": _json(_MR_REF), **_ERRORS},
            },
            "put": {
                "operationId": "updateMergeRequest",
                "parameters": [_PROJECT_ID, _MR_IID],
                "requestBody": _body(_UPDATE_BODY),
                "responses": {"200": _json(_MR_REF), **_ERRORS},
            },
        },
        "/projects/{id}/merge_requests/{merge_request_iid}/merge": {
            "put": {
                "operationId": "mergeMergeRequest",
                "parameters": [_PROJECT_ID, _MR_IID],
                "requestBody": {**_body(_MERGE_BODY), "required": False},
                "responses": {"200": _json(_MR_REF), "405": _json(_ERROR, "not mergeable"), **_ERRORS},
            },
        },
    },
}
