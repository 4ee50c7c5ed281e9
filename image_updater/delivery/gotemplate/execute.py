"""Rendering a parsed template over Python data shaped like the Go values (structs as attributes, methods
without arguments as methods, maps as dicts): scopes, pipelines, ``range``/``if``/``with`` and field access.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from image_updater.delivery.gotemplate.errors import GoTemplateError
from image_updater.delivery.gotemplate.functions import FUNCTIONS
from image_updater.delivery.gotemplate.tree import Action, Control, Node, Operand, Pipeline, Text
from image_updater.delivery.gotemplate.values import NO_VALUE, NoValue, printed, sort_key, truth

_NOTHING: Any = object()  # no piped value (a piped value may be nil), no such attribute


class _Scope:
    def __init__(self, parent: _Scope | None = None) -> None:
        self.parent = parent
        self.names: dict[str, Any] = {}

    def get(self, name: str, line: int) -> Any:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        raise GoTemplateError(f"undefined variable {name}", line)


@dataclass(frozen=True)
class GoTemplate:
    """A parsed template; :meth:`render` evaluates it over Python data shaped like the Go values.

    Go structs are Python objects whose attributes carry the Go field names; a Go method without arguments
    (Flux's ``.Changed.Changes``) is a Python method; maps are dicts, slices lists.
    """

    source: str
    nodes: tuple[Node, ...]

    def render(self, data: Any) -> str:
        out: list[str] = []
        root = _Scope()
        root.names["$"] = data
        self._run(list(self.nodes), data, root, out)
        return "".join(out)

    def _run(self, nodes: list[Node], dot: Any, scope: _Scope, out: list[str]) -> None:
        for node in nodes:
            if isinstance(node, Text):
                out.append(node.text)
            elif isinstance(node, Action):
                value = self._pipeline(node.pipeline, dot, scope)
                if not node.pipeline.declare:
                    out.append(printed(value, node.pipeline.line))
            else:
                self._control(node, dot, scope, out)

    def _control(self, node: Control, dot: Any, scope: _Scope, out: list[str]) -> None:
        inner = _Scope(scope)
        if node.keyword == "range":
            pipe = node.pipeline
            value = self._pipeline(Pipeline(pipe.line, (), pipe.commands), dot, inner)
            items = self._items(value, pipe.line)
            if not items:
                self._run(node.orelse, dot, inner, out)
                return
            for key, item in items:
                each = _Scope(scope)
                if len(pipe.declare) == 1:
                    each.names[pipe.declare[0]] = item
                elif len(pipe.declare) == 2:
                    each.names[pipe.declare[0]], each.names[pipe.declare[1]] = key, item
                self._run(node.body, item, each, out)
            return
        value = self._pipeline(node.pipeline, dot, inner)
        if truth(value):
            self._run(node.body, value if node.keyword == "with" else dot, _Scope(inner), out)
        else:
            self._run(node.orelse, dot, _Scope(inner), out)

    @staticmethod
    def _items(value: Any, line: int) -> list[tuple[Any, Any]]:
        if value is None or isinstance(value, NoValue):
            return []
        if isinstance(value, Mapping):
            return [(key, value[key]) for key in sorted(value, key=sort_key)]
        if isinstance(value, (list, tuple)):
            return list(enumerate(value))
        raise GoTemplateError(f"range over {type(value).__name__} is not supported", line)

    def _pipeline(self, pipe: Pipeline, dot: Any, scope: _Scope) -> Any:
        value: Any = NO_VALUE
        for index, command in enumerate(pipe.commands):
            value = self._command(command, dot, scope, value if index else _NOTHING, pipe.line)
        if pipe.declare:
            scope.names[pipe.declare[0]] = value
        return value

    def _command(self, command: list[Operand], dot: Any, scope: _Scope, piped: Any, line: int) -> Any:
        head = command[0]
        if head.kind == "ident":
            args = [self._operand(arg, dot, scope) for arg in command[1:]]
            if piped is not _NOTHING:
                args.append(piped)
            try:
                return FUNCTIONS[head.name](head.line, *args)
            except (TypeError, IndexError):
                raise GoTemplateError(f"wrong number of arguments for {head.name}", head.line) from None
        if len(command) > 1 or piped is not _NOTHING:
            raise GoTemplateError("calling a method with arguments is not supported", head.line)
        return self._operand(head, dot, scope)

    def _operand(self, operand: Operand, dot: Any, scope: _Scope) -> Any:
        if operand.kind == "literal":
            return operand.value
        if operand.kind == "ident":
            value = FUNCTIONS[operand.name](operand.line)
        elif operand.kind == "pipeline":
            assert operand.pipeline is not None
            value = self._pipeline(operand.pipeline, dot, _Scope(scope))
        elif operand.kind == "var":
            value = scope.get(operand.name, operand.line)
        else:
            value = dot
        for name in operand.chain:
            value = self._field(value, name, operand.line)
        return value

    @staticmethod
    def _field(value: Any, name: str, line: int) -> Any:
        if isinstance(value, Mapping):
            return value.get(name, NO_VALUE)
        basic = isinstance(value, (str, int, float, bool, list, tuple, NoValue)) or value is None
        # Go reaches exported fields only (a capital first letter): never ``__class__`` or ``__init__``.
        exported = name[:1].isupper()
        attribute = _NOTHING if basic or not exported else getattr(value, name, _NOTHING)
        if attribute is _NOTHING:
            raise GoTemplateError(f"can't evaluate field {name} in type {type(value).__name__}", line)
        return attribute() if callable(attribute) else attribute
