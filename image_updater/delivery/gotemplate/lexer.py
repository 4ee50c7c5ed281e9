"""Cutting template text into text and actions, and actions into tokens, as Go's ``text/template/parse``
lexer does: trim markers, comments, string escapes and number syntax are decided here, before any meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from image_updater.delivery.gotemplate.errors import GoTemplateError

_WS = " \t\r\n"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)")


@dataclass(frozen=True)
class Token:
    kind: str  # field, var, dot, string, number, bool, nil, ident, pipe, lparen, rparen, declare, assign, comma
    text: str
    line: int
    value: Any = None
    joined: bool = False  # no space before it (a field chained on the previous operand)


def lex_action(body: str, line: int) -> list[Token]:
    tokens: list[Token] = []
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
            tokens.append(Token("field", match.group(), line, joined=joined))
            i = match.end()
        elif char == "." and not (i + 1 < len(body) and body[i + 1].isdigit()):
            tokens.append(Token("dot", ".", line))
            i += 1
        elif char == "$":
            match = _IDENT.match(body, i + 1)
            name = "$" + (match.group() if match else "")
            tokens.append(Token("var", name, line))
            i = match.end() if match else i + 1
        elif char == '"':
            end, value = _string(body, i, line)
            tokens.append(Token("string", body[i:end], line, value))
            i = end
        elif char == "`":
            end = body.find("`", i + 1)
            if end < 0:
                raise GoTemplateError("unterminated raw string", line)
            tokens.append(Token("string", body[i : end + 1], line, body[i + 1 : end]))
            line += body.count("\n", i, end)
            i = end + 1
        elif char == "'":
            raise GoTemplateError("character constants are not supported", line)
        elif body.startswith(":=", i):
            tokens.append(Token("declare", ":=", line))
            i += 2
        elif char in "|(),=":
            kinds = {"|": "pipe", "(": "lparen", ")": "rparen", ",": "comma", "=": "assign"}
            tokens.append(Token(kinds[char], char, line))
            i += 1
        elif char.isdigit() or (char in "+-." and i + 1 < len(body) and body[i + 1].isdigit()):
            match = _NUMBER.match(body, i)
            assert match is not None
            tokens.append(Token("number", match.group(), line, _number(match.group(), line)))
            i = match.end()
        elif char.isalpha() or char == "_":
            match = _IDENT.match(body, i)
            assert match is not None
            word = match.group()
            if word in ("true", "false"):
                tokens.append(Token("bool", word, line, word == "true"))
            elif word == "nil":
                tokens.append(Token("nil", word, line))
            else:
                tokens.append(Token("ident", word, line))
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


@dataclass
class Segment:
    """One ``{{ … }}`` with its trim markers, or the text between two of them."""

    text: str
    line: int
    action: bool
    trim_left: bool = False
    trim_right: bool = False


def segments(source: str) -> list[Segment]:
    """Text and actions, with Go's trim markers applied to the neighbouring text."""
    raws: list[Segment] = []
    i, line = 0, 1
    while True:
        start = source.find("{{", i)
        if start < 0:
            raws.append(Segment(source[i:], line, False))
            break
        raws.append(Segment(source[i:start], line, False))
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
            raws.append(Segment("", line, True, trim_left, trim_right))
        else:
            end = source.find("}}", j)
            if end < 0:
                raise GoTemplateError("unclosed action: {{ without }}", line)
            body = source[j:end]
            trim_right = len(body) >= 2 and body[-1] == "-" and body[-2] in _WS
            raws.append(Segment(body[:-1] if trim_right else body, line, True, trim_left, trim_right))
        line += source.count("\n", start, end)
        i = end + 2
    for index, raw in enumerate(raws):
        if raw.action:
            if raw.trim_left and index > 0:
                raws[index - 1].text = raws[index - 1].text.rstrip(_WS)
            if raw.trim_right and index + 1 < len(raws):
                raws[index + 1].text = raws[index + 1].text.lstrip(_WS)
    return raws
