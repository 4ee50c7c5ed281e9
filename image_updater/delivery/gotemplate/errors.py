"""The one error of the Go template subset, raised alike by the lexer, the parser and the evaluator, so a
caller catches one type and reports its line."""

from __future__ import annotations


class GoTemplateError(ValueError):
    """A template construct outside the supported subset, or a failure while rendering; ``line`` is 1-based
    in the template text."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line
