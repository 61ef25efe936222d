"""Diagnostics: what the compiler tells its user, with the place in the input it concerns.

Every stage reports through these types so the CLI prints one format:
``FILE:LINE:COL: warning[CODE]: message``, or ``composek8s: error[CODE]: message`` for one
that belongs to no input file.
"""
from __future__ import annotations

from msgspec import Struct, field


class Position(Struct, frozen=True, order=True):
    """A place in an input file; line and column are 1-based (0 when unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


class Diagnostic(Struct, frozen=True):
    severity: str  # "error" or "warning"
    code: str  # stable identifier, e.g. "E-SECURITY-PRIVILEGED"
    message: str
    position: Position | None = None

    def __str__(self) -> str:
        # An error that belongs to no input file (the output folders, a flag, Node.js) says
        # so in one form: `composek8s: error[E-OUTPUT]: ...`.
        where = self.position or "composek8s"
        return f"{where}: {self.severity}[{self.code}]: {self.message}"


class CompileError(Exception):
    """Input the compiler cannot turn into manifests; carries every error found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


MAX_MESSAGE = 2000  # characters: a message quoting a 1 MiB value stays readable


def bounded(message: str) -> str:
    """``message``, its middle elided when it quotes a huge value (the start names the thing,
    the end usually says what to do)."""
    if len(message) <= MAX_MESSAGE:
        return message
    return f"{message[:1200]} … ({len(message) - 1600:,} characters left out) … {message[-400:]}"


class Reporter(Struct):
    """Collects diagnostics; errors are raised together at a stage boundary."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def warn(self, code: str, message: str, position: Position | None = None) -> None:
        self.diagnostics.append(Diagnostic("warning", code, bounded(message), position))

    def error(self, code: str, message: str, position: Position | None = None) -> None:
        self.diagnostics.append(Diagnostic("error", code, bounded(message), position))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise CompileError(self.errors)


def fail(code: str, message: str, position: Position | None = None) -> CompileError:
    """An error to raise at once, when nothing useful can follow it."""
    return CompileError([Diagnostic("error", code, bounded(message), position)])
