"""A subset of Go's ``text/template``, for the commit message templates Flux users already have.

Flux renders ``ImageUpdateAutomation.spec.git.commit.messageTemplate`` with Go's ``text/template`` (plus a
few sprig functions); switching to image-updater must not mean rewriting them. This module is a separate
language from ``template.py`` (image-updater's own ``{field}`` templates) and implements what those templates
use: text, ``{{/* comments */}}``, ``{{-``/``-}}`` trimming, field chains on ``.``/``$``/variables,
``range`` (slices and maps, keys sorted as Go sorts them) with ``else``, ``if``/``else if``/``else``,
``with``, pipelines, ``$x := …`` declarations, and the functions in :data:`FUNCTIONS`.

Anything else (``define``, ``template``, ``block``, ``break``, ``continue``, ``$x = …`` re-assignment, other
functions) is a :class:`GoTemplateError` naming the construct and its line, raised by :func:`parse` — so a
template is refused when it is read, never silently rendered differently. Printing a value Go would format
with ``%v`` (a map, a list, a struct) is refused too, at render time: Go's formatting is not reproduced.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_WS = " \t\r\n"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)")
_KEYWORDS = frozenset({"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"})
_UNSUPPORTED_KEYWORDS = frozenset({"define", "template", "block", "break", "continue"})


class GoTemplateError(ValueError):
    """A template construct outside the supported subset, or a failure while rendering; ``line`` is 1-based
    in the template text."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


_NOTHING: Any = object()  # no piped value (a piped value may be nil)


class NoValue:
    """What Go yields for a missing map key; printed as ``<no value>``, false in ``if``."""

    def __repr__(self) -> str:
        return "<no value>"


NO_VALUE = NoValue()


class Stringer:
    """A struct Go prints through its ``String()`` method (Flux's ``.AutomationObject``)."""

    def go_string(self) -> str:
        raise NotImplementedError


# --- lexing -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # field, var, dot, string, number, bool, nil, ident, pipe, lparen, rparen, declare, assign, comma
    text: str
    line: int
    value: Any = None
    joined: bool = False  # no space before it (a field chained on the previous operand)


def _lex_action(body: str, line: int) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(body):
        char = body[i]
        joined = i > 0 and body[i - 1] not in _WS
        if char in _WS:
            line += char == "\n"
            i += 1
            continue
        if char == "." and i + 1 < len(body) and (body[i + 1].isalpha() or body[i + 1] == "_"):
            match = _IDENT.match(body, i + 1)
            assert match is not None
            tokens.append(_Token("field", match.group(), line, joined=joined))
            i = match.end()
        elif char == "." and not (i + 1 < len(body) and body[i + 1].isdigit()):
            tokens.append(_Token("dot", ".", line))
            i += 1
        elif char == "$":
            match = _IDENT.match(body, i + 1)
            name = "$" + (match.group() if match else "")
            tokens.append(_Token("var", name, line))
            i = match.end() if match else i + 1
        elif char == '"':
            end, value = _string(body, i, line)
            tokens.append(_Token("string", body[i:end], line, value))
            i = end
        elif char == "`":
            end = body.find("`", i + 1)
            if end < 0:
                raise GoTemplateError("unterminated raw string", line)
            tokens.append(_Token("string", body[i : end + 1], line, body[i + 1 : end]))
            line += body.count("\n", i, end)
            i = end + 1
        elif char == "'":
            raise GoTemplateError("character constants are not supported", line)
        elif body.startswith(":=", i):
            tokens.append(_Token("declare", ":=", line))
            i += 2
        elif char in "|(),=":
            kinds = {"|": "pipe", "(": "lparen", ")": "rparen", ",": "comma", "=": "assign"}
            tokens.append(_Token(kinds[char], char, line))
            i += 1
        elif char.isdigit() or (char in "+-." and i + 1 < len(body) and body[i + 1].isdigit()):
            match = _NUMBER.match(body, i)
            assert match is not None
            tokens.append(_Token("number", match.group(), line, _number(match.group(), line)))
            i = match.end()
        elif char.isalpha() or char == "_":
            match = _IDENT.match(body, i)
            assert match is not None
            word = match.group()
            if word in ("true", "false"):
                tokens.append(_Token("bool", word, line, word == "true"))
            elif word == "nil":
                tokens.append(_Token("nil", word, line))
            else:
                tokens.append(_Token("ident", word, line))
            i = match.end()
        else:
            raise GoTemplateError(f"unexpected {char!r} in an action", line)
    return tokens


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _string(body: str, start: int, line: int) -> tuple[int, str]:
    out: list[str] = []
    i = start + 1
    while i < len(body):
        char = body[i]
        if char == '"':
            return i + 1, "".join(out)
        if char == "\n":
            break
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt in "xuU":
                width = {"x": 2, "u": 4, "U": 8}[nxt]
                digits = body[i + 2 : i + 2 + width]
                try:
                    out.append(chr(int(digits, 16)))
                except ValueError:
                    raise GoTemplateError(f"bad escape \\{nxt}{digits} in a string", line) from None
                i += 2 + width
                continue
            raise GoTemplateError(f"unknown escape \\{nxt} in a string", line)
        out.append(char)
        i += 1
    raise GoTemplateError("unterminated string", line)


def _number(text: str, line: int) -> int | float:
    clean = text.replace("_", "")
    try:
        return int(clean, 0)
    except ValueError:
        try:
            return float(clean)
        except ValueError:
            raise GoTemplateError(f"bad number {text!r}", line) from None


# --- the tree ---------------------------------------------------------------------------------------------


@dataclass
class _Operand:
    kind: str  # dot, field, var, literal, ident, pipeline
    line: int
    name: str = ""  # variable or function name
    chain: tuple[str, ...] = ()
    value: Any = None
    pipeline: _Pipeline | None = None


@dataclass
class _Pipeline:
    line: int
    declare: tuple[str, ...] = ()
    commands: list[list[_Operand]] = field(default_factory=list)


@dataclass
class _Text:
    text: str


@dataclass
class _Action:
    pipeline: _Pipeline


@dataclass
class _Control:
    keyword: str  # if, range, with
    pipeline: _Pipeline
    body: list[_Node] = field(default_factory=list)
    orelse: list[_Node] = field(default_factory=list)


_Node = _Text | _Action | _Control


@dataclass
class _Raw:
    """One ``{{ … }}`` with its trim markers, or the text between two of them."""

    text: str
    line: int
    action: bool
    trim_left: bool = False
    trim_right: bool = False


def _split(source: str) -> list[_Raw]:
    """Text and actions, with Go's trim markers applied to the neighbouring text."""
    raws: list[_Raw] = []
    i, line = 0, 1
    while True:
        start = source.find("{{", i)
        if start < 0:
            raws.append(_Raw(source[i:], line, False))
            break
        raws.append(_Raw(source[i:start], line, False))
        line += source.count("\n", i, start)
        j = start + 2
        trim_left = source.startswith("-", j) and j + 1 < len(source) and source[j + 1] in _WS
        if trim_left:
            j += 2
        if source.startswith("/*", j):  # a comment: {{/* … */}} or {{- /* … */ -}}
            close = source.find("*/", j + 2)
            if close < 0:
                raise GoTemplateError("unclosed comment", line)
            after = close + 2
            trim_right = source.startswith(" -}}", after)
            end = after + 2 if trim_right else after
            if not source.startswith("}}", end):
                raise GoTemplateError("comment ends before the closing delimiter", line)
            raws.append(_Raw("", line, True, trim_left, trim_right))
        else:
            end = source.find("}}", j)
            if end < 0:
                raise GoTemplateError("unclosed action: {{ without }}", line)
            body = source[j:end]
            trim_right = len(body) >= 2 and body[-1] == "-" and body[-2] in _WS
            raws.append(_Raw(body[:-1] if trim_right else body, line, True, trim_left, trim_right))
        line += source.count("\n", start, end)
        i = end + 2
    for index, raw in enumerate(raws):
        if raw.action:
            if raw.trim_left and index > 0:
                raws[index - 1].text = raws[index - 1].text.rstrip(_WS)
            if raw.trim_right and index + 1 < len(raws):
                raws[index + 1].text = raws[index + 1].text.lstrip(_WS)
    return raws


class _Parser:
    def __init__(self, functions: Mapping[str, Callable[..., Any]]) -> None:
        self.functions = functions
        self.problems: list[tuple[int, str]] = []
        self.declared: list[set[str]] = [{"$"}]

    def problem(self, line: int, message: str) -> None:
        """Record a construct outside the subset; each kind once, at its first line."""
        if all(message != known for _, known in self.problems):
            self.problems.append((line, message))

    # a list of nodes up to a closing keyword (end / else); returns the nodes and the keyword that closed them
    def nodes(self, raws: Iterator[_Raw], closers: frozenset[str]) -> tuple[list[_Node], str, _Raw | None]:
        out: list[_Node] = []
        for raw in raws:
            if not raw.action:
                if raw.text:
                    out.append(_Text(raw.text))
                continue
            tokens = _lex_action(raw.text, raw.line)
            if not tokens:
                continue  # a comment
            first = tokens[0]
            if first.kind == "ident" and first.text in _KEYWORDS:
                keyword = first.text
                if keyword in ("end", "else"):
                    if keyword not in closers:
                        self.problem(first.line, f"unexpected {{{{{keyword}}}}}")
                        continue
                    return out, keyword, raw
                if keyword in _UNSUPPORTED_KEYWORDS:
                    self.problem(first.line, f'"{keyword}" is not supported')
                    if keyword in ("define", "block"):  # skip to its end, keeping the rest checkable
                        self.nodes(raws, frozenset({"end"}))
                    continue
                out.append(self.control(keyword, tokens[1:], first.line, raws))
                continue
            pipeline = self.pipeline(tokens, raw.line, allow_declare=True)
            out.append(_Action(pipeline))
        if closers:
            self.problem(0, "missing {{end}}")
        return out, "", None

    def control(self, keyword: str, tokens: list[_Token], line: int, raws: Iterator[_Raw]) -> _Control:
        self.declared.append(set())
        pipeline = self.pipeline(tokens, line, allow_declare=True, range_vars=keyword == "range")
        node = _Control(keyword, pipeline)
        node.body, closer, raw = self.nodes(raws, frozenset({"end", "else"}))
        if closer == "else" and raw is not None:
            rest = _lex_action(raw.text, raw.line)[1:]
            if rest and rest[0].kind == "ident" and rest[0].text in ("if", "with") and rest[0].text == keyword:
                # {{else if …}}: an {{if}} inside the else branch that shares the outer {{end}}
                node.orelse = [self.control(keyword, rest[1:], rest[0].line, raws)]
            else:
                if rest:
                    self.problem(raw.line, f"{{{{else {rest[0].text} …}}}} is not supported here")
                node.orelse, _, _ = self.nodes(raws, frozenset({"end"}))
        self.declared.pop()
        return node

    def pipeline(
        self, tokens: list[_Token], line: int, *, allow_declare: bool = False, range_vars: bool = False
    ) -> _Pipeline:
        pipe = _Pipeline(line)
        position = 0
        names: list[str] = []
        probe = 0
        while probe < len(tokens) and tokens[probe].kind == "var":
            names.append(tokens[probe].text)
            probe += 1
            if probe < len(tokens) and tokens[probe].kind == "comma" and range_vars:
                probe += 1
                continue
            break
        if names and probe < len(tokens) and tokens[probe].kind in ("declare", "assign"):
            op = tokens[probe]
            if op.kind == "assign":
                self.problem(op.line, f'variable re-assignment "{names[0]} = …" is not supported (only :=)')
            elif not allow_declare:
                self.problem(op.line, "a declaration is not allowed here")
            if len(names) > 2 or (len(names) == 2 and not range_vars):
                self.problem(op.line, "too many declared variables")
            pipe.declare = tuple(names)
            self.declared[-1].update(names)
            position = probe + 1
        commands: list[list[_Token]] = [[]]
        depth = 0
        for token in tokens[position:]:
            if token.kind == "lparen":
                depth += 1
            elif token.kind == "rparen":
                depth -= 1
            if token.kind == "pipe" and depth == 0:
                commands.append([])
            else:
                commands[-1].append(token)
        for index, command in enumerate(commands):
            if not command:
                self.problem(line, "missing command in a pipeline")
                continue
            operands = self.command(command, line)
            if operands and operands[0].kind != "ident" and (len(operands) > 1 or index > 0):
                self.problem(operands[0].line, "calling a method with arguments is not supported")
            pipe.commands.append(operands)
        if not pipe.commands and not pipe.declare:
            self.problem(line, "missing value for an action")
        return pipe

    def command(self, tokens: list[_Token], line: int) -> list[_Operand]:
        operands: list[_Operand] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            i += 1
            if token.kind == "lparen":
                depth, j = 1, i
                while j < len(tokens) and depth:
                    depth += {"lparen": 1, "rparen": -1}.get(tokens[j].kind, 0)
                    j += 1
                if depth:
                    self.problem(token.line, "unclosed parenthesis")
                    return operands
                operand = _Operand("pipeline", token.line, pipeline=self.pipeline(tokens[i : j - 1], token.line))
                i = j
            elif token.kind == "field":
                operand = _Operand("field", token.line, chain=(token.text,))
            elif token.kind == "dot":
                operand = _Operand("dot", token.line)
            elif token.kind == "var":
                if not any(token.text in scope for scope in self.declared):
                    self.problem(token.line, f"undefined variable {token.text}")
                operand = _Operand("var", token.line, name=token.text)
            elif token.kind in ("string", "number", "bool"):
                operand = _Operand("literal", token.line, value=token.value)
            elif token.kind == "nil":
                operand = _Operand("literal", token.line, value=None)
            elif token.kind == "ident":
                if token.text not in self.functions:
                    self.problem(token.line, f'function "{token.text}" is not supported')
                operand = _Operand("ident", token.line, name=token.text)
            else:
                self.problem(token.line, f"unexpected {token.text!r}")
                continue
            chain = list(operand.chain)
            while i < len(tokens) and tokens[i].kind == "field" and tokens[i].joined:
                chain.append(tokens[i].text)
                i += 1
            if chain and operand.kind in ("literal", "ident"):
                self.problem(token.line, f"a field of {token.text} is not supported")
            operand.chain = tuple(chain)
            operands.append(operand)
        return operands


# --- rendering --------------------------------------------------------------------------------------------


def _sort_key(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple(_sort_key(getattr(value, f.name)) for f in dataclasses.fields(value))
    return value


def _truth(value: Any) -> bool:
    if value is None or isinstance(value, NoValue):
        return False
    if isinstance(value, (bool, int, float, str, list, tuple, dict)):
        return bool(value)
    return True  # a struct


def _basic(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _text(value: Any, line: int) -> str:
    """Go's ``fmt.Sprint`` of one value, for the types we reproduce exactly."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int)):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, NoValue):
        return "<no value>"
    if value is None:
        return "<nil>"
    if isinstance(value, Stringer):
        return value.go_string()
    kind = "a map" if isinstance(value, Mapping) else "a list" if isinstance(value, (list, tuple)) else "a struct"
    raise GoTemplateError(f"printing {kind} is not supported (Go's %v formatting is not reproduced)", line)


def _go_float(value: float) -> str:
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    return text.replace("e+0", "e+").replace("e-0", "e-")


def _sprint(args: Sequence[Any], line: int) -> str:
    out: list[str] = []
    for index, arg in enumerate(args):
        if index and not isinstance(arg, str) and not isinstance(args[index - 1], str):
            out.append(" ")
        out.append(_text(arg, line))
    return "".join(out)


_VERB = re.compile(r"%(%|[-+# 0]*\d*(?:\.\d+)?[svdq])")


def _printf(line: int, fmt: str, *args: Any) -> str:
    values = iter(args)

    def one(match: re.Match[str]) -> str:
        spec = match.group(1)
        if spec == "%":
            return "%"
        verb, flags = spec[-1], spec[:-1]
        try:
            value = next(values)
        except StopIteration:
            return f"%!{verb}(MISSING)"
        if verb == "q":
            text = '"' + _text(value, line).replace("\\", "\\\\").replace('"', '\\"') + '"'
        elif verb == "d":
            if not isinstance(value, int) or isinstance(value, bool):
                raise GoTemplateError(f"printf %d of {_text(value, line)!r}: not an integer", line)
            text = str(value)
        else:
            text = _text(value, line)
        width = re.match(r"-?0?(\d*)", flags)
        size = int(width.group(1)) if width and width.group(1) else 0
        return text.ljust(size) if flags.startswith("-") else text.rjust(size)

    result = _VERB.sub(one, fmt)
    extra = list(values)
    if extra:
        result += "%!(EXTRA " + ", ".join(_text(v, line) for v in extra) + ")"
    return result


def _compare(name: str, line: int, a: Any, b: Any) -> int:
    if not (_basic(a) and _basic(b)) or isinstance(a, bool) != isinstance(b, bool):
        raise GoTemplateError(f"{name}: comparing {type(a).__name__} with {type(b).__name__} is not supported", line)
    if isinstance(a, str) != isinstance(b, str):
        raise GoTemplateError(f"{name}: incompatible types for comparison", line)
    return int(a > b) - int(a < b)


def _trunc(length: int, text: str) -> str:
    return text[:length] if length >= 0 else text[length:]


def _index(line: int, item: Any, *keys: Any) -> Any:
    for key in keys:
        try:
            item = item[key]
        except (KeyError, IndexError, TypeError):
            if isinstance(item, Mapping):
                return NO_VALUE
            raise GoTemplateError(f"index {key!r}: out of range or not indexable", line) from None
    return item


def _length(line: int, item: Any) -> int:
    if isinstance(item, (str, list, tuple, Mapping)):
        return len(item)
    raise GoTemplateError(f"len of {type(item).__name__} is not supported", line)


#: Go's builtins and the sprig functions Flux's templates use; each receives the template line first.
FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "print": lambda line, *a: _sprint(a, line),
    "println": lambda line, *a: " ".join(_text(v, line) for v in a) + "\n",
    "printf": _printf,
    "len": _length,
    "index": _index,
    "eq": lambda line, a, *b: any(_compare("eq", line, a, x) == 0 for x in b),
    "ne": lambda line, a, b: _compare("ne", line, a, b) != 0,
    "lt": lambda line, a, b: _compare("lt", line, a, b) < 0,
    "le": lambda line, a, b: _compare("le", line, a, b) <= 0,
    "gt": lambda line, a, b: _compare("gt", line, a, b) > 0,
    "ge": lambda line, a, b: _compare("ge", line, a, b) >= 0,
    "not": lambda line, a: not _truth(a),
    "and": lambda line, *a: next((v for v in a if not _truth(v)), a[-1]),
    "or": lambda line, *a: next((v for v in a if _truth(v)), a[-1]),
    "lower": lambda line, s: _text(s, line).lower(),
    "upper": lambda line, s: _text(s, line).upper(),
    "title": lambda line, s: re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), _text(s, line)),
    "trim": lambda line, s: _text(s, line).strip(),
    "trimPrefix": lambda line, p, s: _text(s, line).removeprefix(p),
    "trimSuffix": lambda line, p, s: _text(s, line).removesuffix(p),
    "replace": lambda line, old, new, s: _text(s, line).replace(old, new),
    "contains": lambda line, sub, s: sub in _text(s, line),
    "hasPrefix": lambda line, p, s: _text(s, line).startswith(p),
    "hasSuffix": lambda line, p, s: _text(s, line).endswith(p),
    "trunc": lambda line, n, s: _trunc(n, _text(s, line)),
    "join": lambda line, sep, items: sep.join(_text(v, line) for v in items),
    "quote": lambda line, *a: " ".join(_printf(line, "%q", v) for v in a if v is not None),
}


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
    nodes: tuple[_Node, ...]

    def render(self, data: Any) -> str:
        out: list[str] = []
        root = _Scope()
        root.names["$"] = data
        self._run(list(self.nodes), data, root, out)
        return "".join(out)

    def _run(self, nodes: list[_Node], dot: Any, scope: _Scope, out: list[str]) -> None:
        for node in nodes:
            if isinstance(node, _Text):
                out.append(node.text)
            elif isinstance(node, _Action):
                value = self._pipeline(node.pipeline, dot, scope)
                if not node.pipeline.declare:
                    out.append(_text(value, node.pipeline.line))
            else:
                self._control(node, dot, scope, out)

    def _control(self, node: _Control, dot: Any, scope: _Scope, out: list[str]) -> None:
        inner = _Scope(scope)
        if node.keyword == "range":
            pipe = node.pipeline
            value = self._pipeline(_Pipeline(pipe.line, (), pipe.commands), dot, inner)
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
        if _truth(value):
            self._run(node.body, value if node.keyword == "with" else dot, _Scope(inner), out)
        else:
            self._run(node.orelse, dot, _Scope(inner), out)

    @staticmethod
    def _items(value: Any, line: int) -> list[tuple[Any, Any]]:
        if value is None or isinstance(value, NoValue):
            return []
        if isinstance(value, Mapping):
            return [(key, value[key]) for key in sorted(value, key=_sort_key)]
        if isinstance(value, (list, tuple)):
            return list(enumerate(value))
        raise GoTemplateError(f"range over {type(value).__name__} is not supported", line)

    def _pipeline(self, pipe: _Pipeline, dot: Any, scope: _Scope) -> Any:
        value: Any = NO_VALUE
        for index, command in enumerate(pipe.commands):
            value = self._command(command, dot, scope, value if index else _NOTHING, pipe.line)
        if pipe.declare:
            scope.names[pipe.declare[0]] = value
        return value

    def _command(self, command: list[_Operand], dot: Any, scope: _Scope, piped: Any, line: int) -> Any:
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

    def _operand(self, operand: _Operand, dot: Any, scope: _Scope) -> Any:
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
        if isinstance(value, (str, int, float, bool, list, tuple, NoValue)) or value is None:
            raise GoTemplateError(f"can't evaluate field {name} in type {type(value).__name__}", line)
        try:
            attribute = getattr(value, name)
        except AttributeError:
            raise GoTemplateError(f"can't evaluate field {name} in type {type(value).__name__}", line) from None
        return attribute() if callable(attribute) else attribute


def parse(source: str) -> GoTemplate:
    """Parse ``source``; raises :class:`GoTemplateError` listing every unsupported construct with its line."""
    parser = _Parser(FUNCTIONS)
    try:
        nodes, _, _ = parser.nodes(iter(_split(source)), frozenset())
    except GoTemplateError as exc:
        parser.problem(exc.line, str(exc))
        nodes = []
    if parser.problems:
        first = min((line for line, _ in parser.problems if line), default=1)
        text = "; ".join(f"line {line}: {message}" if line else message for line, message in parser.problems)
        raise GoTemplateError(text, first)
    return GoTemplate(source, tuple(nodes))


__all__ = ["FUNCTIONS", "NO_VALUE", "GoTemplate", "GoTemplateError", "Stringer", "parse"]
