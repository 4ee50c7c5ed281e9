"""Parsing the supported subset, and refusing everything else when a template is read: every construct
outside it is named with its line, all of them at once, so a template never renders differently from Go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from image_updater.delivery.gotemplate.errors import GoTemplateError
from image_updater.delivery.gotemplate.execute import GoTemplate
from image_updater.delivery.gotemplate.functions import FUNCTIONS
from image_updater.delivery.gotemplate.lexer import Segment, Token, lex_action, segments
from image_updater.delivery.gotemplate.tree import Action, Control, Node, Operand, Pipeline, Text

_KEYWORDS = frozenset({"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"})
_UNSUPPORTED_KEYWORDS = frozenset({"define", "template", "block", "break", "continue"})


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
    def nodes(self, raws: Iterator[Segment], closers: frozenset[str]) -> tuple[list[Node], str, Segment | None]:
        out: list[Node] = []
        for raw in raws:
            if not raw.action:
                if raw.text:
                    out.append(Text(raw.text))
                continue
            tokens = lex_action(raw.text, raw.line)
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
            out.append(Action(pipeline))
        if closers:
            self.problem(0, "missing {{end}}")
        return out, "", None

    def control(self, keyword: str, tokens: list[Token], line: int, raws: Iterator[Segment]) -> Control:
        self.declared.append(set())
        pipeline = self.pipeline(tokens, line, allow_declare=True, range_vars=keyword == "range")
        node = Control(keyword, pipeline)
        node.body, closer, raw = self.nodes(raws, frozenset({"end", "else"}))
        if closer == "else" and raw is not None:
            rest = lex_action(raw.text, raw.line)[1:]
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
        self, tokens: list[Token], line: int, *, allow_declare: bool = False, range_vars: bool = False
    ) -> Pipeline:
        pipe = Pipeline(line)
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
        commands: list[list[Token]] = [[]]
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

    def command(self, tokens: list[Token], line: int) -> list[Operand]:
        operands: list[Operand] = []
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
                operand = Operand("pipeline", token.line, pipeline=self.pipeline(tokens[i : j - 1], token.line))
                i = j
            elif token.kind == "field":
                operand = Operand("field", token.line, chain=(token.text,))
            elif token.kind == "dot":
                operand = Operand("dot", token.line)
            elif token.kind == "var":
                if not any(token.text in scope for scope in self.declared):
                    self.problem(token.line, f"undefined variable {token.text}")
                operand = Operand("var", token.line, name=token.text)
            elif token.kind in ("string", "number", "bool"):
                operand = Operand("literal", token.line, value=token.value)
            elif token.kind == "nil":
                operand = Operand("literal", token.line, value=None)
            elif token.kind == "ident":
                if token.text not in self.functions:
                    self.problem(token.line, f'function "{token.text}" is not supported')
                operand = Operand("ident", token.line, name=token.text)
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


def parse(source: str) -> GoTemplate:
    """Parse ``source``; raises :class:`GoTemplateError` listing every unsupported construct with its line."""
    parser = _Parser(FUNCTIONS)
    try:
        nodes, _, _ = parser.nodes(iter(segments(source)), frozenset())
    except GoTemplateError as exc:
        parser.problem(exc.line, str(exc))
        nodes = []
    if parser.problems:
        first = min((line for line, _ in parser.problems if line), default=1)
        text = "; ".join(f"line {line}: {message}" if line else message for line, message in parser.problems)
        raise GoTemplateError(text, first)
    return GoTemplate(source, tuple(nodes))
