"""Checking forge HTTP traffic against the forges' published API descriptions.

- GitHub: ``github-pulls.json`` (OpenAPI 3.0.3) is used as published.
- Gitea: ``gitea-pulls.json`` is Swagger 2.0, which openapi-core does not read, so
  :func:`swagger2_to_openapi3` converts it mechanically. It handles exactly the Swagger 2 features the
  trimmed file uses (path/query parameters incl. ``collectionFormat: multi``, one ``body`` parameter,
  ``definitions``/``responses`` refs, apiKey/basic security) and raises on anything else, so the
  conversion cannot silently drop a rule.
- GitLab: our own OpenAPI written from ``gitlab-mrs-facts.md`` (see ``forge_gitlab_spec``).

openapi-core validates paths, methods, parameter types and request bodies. On top of the spec we
reject query parameters and top-level body fields an operation does not declare: the descriptions
do not forbid them, but for a client under test an undeclared name is a typo the forge would ignore.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

Json = Any
_SWAGGER_PARAM_SCHEMA_KEYS = ("type", "format", "enum", "items", "minimum", "maximum", "default", "pattern")


def _rewrite_refs(node: Json) -> Json:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                value = value.replace("#/definitions/", "#/components/schemas/").replace(
                    "#/responses/", "#/components/responses/"
                )
            out[key] = _rewrite_refs(value)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def _convert_parameter(param: dict[str, Any]) -> dict[str, Any]:
    if param["in"] not in ("path", "query", "header"):
        raise NotImplementedError(f"Swagger 2 parameter location {param['in']!r} ({param['name']})")
    schema = {k: param[k] for k in _SWAGGER_PARAM_SCHEMA_KEYS if k in param}
    out: dict[str, Any] = {"name": param["name"], "in": param["in"], "schema": schema}
    if param.get("required"):
        out["required"] = True
    fmt = param.get("collectionFormat")
    if fmt == "multi":
        out.update(style="form", explode=True)
    elif fmt not in (None, "csv"):
        raise NotImplementedError(f"collectionFormat {fmt!r} ({param['name']})")
    elif fmt == "csv":
        out.update(style="form", explode=False)
    return out


def _convert_response(resp: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in resp:
        return {"$ref": resp["$ref"]}
    out: dict[str, Any] = {"description": resp.get("description", "")}
    if "schema" in resp:
        out["content"] = {"application/json": {"schema": resp["schema"]}}
    if "headers" in resp:  # Gitea describes its error *body* fields as headers; kept literally
        out["headers"] = {
            n: {"schema": {k: v for k, v in h.items() if k != "description"}} for n, h in resp["headers"].items()
        }
    return out


def _convert_operation(op: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in op.items() if k not in ("parameters", "responses", "consumes", "produces")}
    params = []
    for param in op.get("parameters", []):
        if param.get("in") == "body":
            out["requestBody"] = {
                "required": bool(param.get("required")),
                "content": {"application/json": {"schema": param.get("schema", {})}},
            }
        else:
            params.append(_convert_parameter(param))
    if params:
        out["parameters"] = params
    out["responses"] = {code: _convert_response(r) for code, r in op["responses"].items()}
    return out


def swagger2_to_openapi3(doc: dict[str, Any]) -> dict[str, Any]:
    if doc.get("swagger") != "2.0":
        raise ValueError("not a Swagger 2.0 document")
    schemes = {}
    for name, scheme in doc.get("securityDefinitions", {}).items():
        if scheme["type"] == "basic":
            schemes[name] = {"type": "http", "scheme": "basic"}
        elif scheme["type"] == "apiKey":
            schemes[name] = {k: scheme[k] for k in ("type", "name", "in")}
        else:
            raise NotImplementedError(f"security scheme type {scheme['type']!r}")
    paths: dict[str, Any] = {}
    for path, item in doc["paths"].items():
        paths[path] = {}
        for method, op in item.items():
            if method == "parameters":
                paths[path]["parameters"] = [_convert_parameter(p) for p in op]
            else:
                paths[path][method] = _convert_operation(op)
    converted = {
        "openapi": "3.0.3",
        "info": doc["info"],
        "servers": [{"url": doc.get("basePath", "/")}],
        "paths": paths,
        "components": {
            "schemas": doc.get("definitions", {}),
            "responses": {n: _convert_response(r) for n, r in doc.get("responses", {}).items()},
            "securitySchemes": schemes,
        },
        "security": doc.get("security", []),
    }
    return _rewrite_refs(converted)  # type: ignore[no-any-return]


@cache
def _load_json(path: str) -> Json:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def github_spec(specs: Path) -> dict[str, Any]:
    spec: dict[str, Any] = copy.deepcopy(_load_json(str(specs / "github-pulls.json")))
    return spec


def gitea_spec(specs: Path) -> dict[str, Any]:
    return swagger2_to_openapi3(_load_json(str(specs / "gitea-pulls.json")))


def resolve(spec: Mapping[str, Any], node: Json) -> Json:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def sample(spec: Mapping[str, Any], schema: Json, depth: int = 0) -> Json:
    """A minimal instance of ``schema``: required properties only, simplest allowed values.

    The fake forges overlay the fields they actually track on top of this, so their responses carry
    every field the description requires without hand-writing dozens of them.
    """
    schema = resolve(spec, schema)
    if depth > 12:
        raise RecursionError("schema nests too deep to sample")
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged = overlay(merged, sample(spec, part, depth + 1))
        return merged
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return sample(spec, schema[key][0], depth + 1)
    if schema.get("nullable"):
        return None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind == "object":
        props = schema.get("properties", {})
        return {name: sample(spec, props.get(name, {}), depth + 1) for name in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "string":
        return {
            "date-time": "2024-01-01T00:00:00Z",
            "uri": "https://forge.invalid/x",
            "email": "bot@forge.invalid",
        }.get(schema.get("format", ""), "x")
    if kind in ("integer", "number"):
        return max(1, int(schema.get("minimum", 1)))
    if kind == "boolean":
        return False
    return None


def overlay(base: Json, extra: Json) -> Json:
    if isinstance(base, dict) and isinstance(extra, dict):
        out = dict(base)
        for key, value in extra.items():
            out[key] = overlay(base.get(key), value)
        return out
    return extra


@dataclass(frozen=True)
class Operation:
    path_template: str
    method: str
    op: dict[str, Any]
    parameters: list[dict[str, Any]]


def _first_line(error: BaseException) -> str:
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    if schema_errors:
        details = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in schema_errors)
        return f"{type(error).__name__}: {details}"
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


class SpecChecker:
    """Validates requests (and, where the status is declared, responses) against one description."""

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        self.name = name
        self.spec = copy.deepcopy(spec)
        self.spec["servers"] = [{"url": "/"}]
        self.api = OpenAPI.from_dict(self.spec)
        self._routes = [
            (re.compile("^" + re.sub(r"\\\{[^}/]+\\\}", "[^/]+", re.escape(p)) + "$"), p) for p in self.spec["paths"]
        ]

    def operation(self, method: str, path: str) -> Operation | None:
        for pattern, template in self._routes:
            if pattern.match(path):
                item = self.spec["paths"][template]
                op = item.get(method.lower())
                if op is None:
                    return None
                params = [resolve(self.spec, p) for p in item.get("parameters", []) + op.get("parameters", [])]
                return Operation(template, method.lower(), op, params)
        return None

    def mock_request(
        self, method: str, path: str, query: list[tuple[str, str]], headers: Mapping[str, str], body: bytes
    ) -> MockRequest:
        from werkzeug.datastructures import ImmutableMultiDict

        request = MockRequest(
            "http://forge.test",
            method,
            path,
            headers=dict(headers),
            data=body,
            content_type=headers.get("content-type", "application/json"),
        )
        request.parameters.query = ImmutableMultiDict(query)
        return request

    def check_request(self, request: MockRequest, query: list[tuple[str, str]], body: bytes) -> list[str]:
        problems: list[str] = []
        try:
            self.api.validate_request(request)
        except Exception as exc:  # every openapi-core validation error is a finding
            problems.append(_first_line(exc))
        op = self.operation(request.method, request.path)
        if op is None:
            return problems or [f"{request.method.upper()} {request.path} is not in the description"]
        declared = {p["name"] for p in op.parameters if p["in"] == "query"}
        problems += [f"undeclared query parameter {name!r}" for name, _ in query if name not in declared]
        problems += self._undeclared_body_fields(op, body)
        return problems

    def _undeclared_body_fields(self, op: Operation, body: bytes) -> list[str]:
        schema = resolve(self.spec, op.op.get("requestBody", {})).get("content", {}).get("application/json", {})
        schema = resolve(self.spec, schema.get("schema", {}))
        if not body or "properties" not in schema:
            return []
        try:
            data = json.loads(body)
        except ValueError:
            return ["request body is not JSON"]
        if not isinstance(data, dict):
            return []
        return [f"undeclared body field {name!r}" for name in data if name not in schema["properties"]]

    def check_response(self, request: MockRequest, status: int, body: bytes) -> list[str]:
        op = self.operation(request.method, request.path)
        if op is None or str(status) not in op.op.get("responses", {}):
            return []  # undeclared statuses (e.g. 401) have no schema to check against
        response = resolve(self.spec, op.op["responses"][str(status)])
        if "content" not in response:
            return []
        try:
            self.api.validate_response(request, MockResponse(body, status_code=status))
        except Exception as exc:  # every openapi-core validation error is a finding
            return [f"response {status}: {_first_line(exc)}"]
        return []
