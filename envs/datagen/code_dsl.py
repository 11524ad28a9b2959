"""A tiny, safe imperative language that teachgym interprets itself (never ``eval``/``exec``).

Grammar (``;`` separates statements; blocks in braces)::

    program := stmt (";" stmt)*
    stmt    := NAME "=" expr | "print" expr
             | "if" cond "{" program "}" ["else" "{" program "}"]
             | "while" cond "{" program "}"
    cond    := expr ("<" | ">" | "<=" | ">=" | "==" | "!=") expr
    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/" | "%") unary)*      # "/" and "%" floor, as Python; by 0 is an error
    unary   := "-" unary | INT | NAME | "(" expr ")"
    NAME    := one lowercase letter

Safety: the tokenizer accepts only these characters and words, so nothing else
(imports, attribute access, calls, strings) can even be written; programs are
limited in length, nesting and value size, and every statement or loop test
costs one step of a step budget, so a non-terminating program is refused with
:class:`StepLimitExceeded` instead of hanging.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 400
MAX_DEPTH = 8
MAX_VALUE = 10**9


class DSLError(ValueError):
    """The program is not valid DSL or failed while running."""


class StepLimitExceeded(DSLError):
    """The program ran more steps than allowed (e.g. it never terminates)."""


_TOKEN = re.compile(r"\s*(?:(\d+)|(while|if|else|print)\b|([a-z])(?![a-z])|(<=|>=|==|!=|[-+*/%=<>;{}()]))")
_COMPARE = {"<": int.__lt__, ">": int.__gt__, "<=": int.__le__, ">=": int.__ge__, "==": int.__eq__, "!=": int.__ne__}


def tokenize(source: str) -> list[tuple[str, str]]:
    """``(kind, text)`` pairs; kind is num, kw, name or op. DSLError on anything else."""
    if not isinstance(source, str):
        raise DSLError(f"a program is a string, got {type(source).__name__}")
    if len(source) > MAX_CHARS:
        raise DSLError(f"program has {len(source)} characters; at most {MAX_CHARS} allowed")
    tokens, pos = [], 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        match = _TOKEN.match(source, pos)
        if match is None:
            word = re.match(r"\s*(\S{1,12})", source[pos:]).group(1)
            raise DSLError(f"unknown token at character {pos}: {word!r} (the DSL has only one-letter variables, "
                           "integers, + - * / % comparisons, =, ;, braces, if/else/while/print)")
        num, kw, name, op = match.groups()
        tokens.append(("num", num) if num else ("kw", kw) if kw else ("name", name) if name else ("op", op))
        pos = match.end()
    return tokens


@dataclass
class _Parser:
    tokens: list[tuple[str, str]]
    pos: int = 0
    depth: int = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise DSLError(f"program ends early{f'; expected {expected!r}' if expected else ''}")
        token = self.tokens[self.pos]
        if expected is not None and token[1] != expected:
            raise DSLError(f"expected {expected!r}, got {token[1]!r} (token {self.pos})")
        self.pos += 1
        return token

    def program(self, closing: str | None = None) -> list:
        statements = [self.statement()]
        while self.peek() == ";":
            self.take()
            if self.peek() == closing:  # allow a trailing ';' before '}'
                break
            statements.append(self.statement())
        return statements

    def block(self) -> list:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise DSLError(f"blocks nest deeper than {MAX_DEPTH}")
        self.take("{")
        body = self.program("}")
        self.take("}")
        self.depth -= 1
        return body

    def statement(self):
        kind, text = self.take()
        if kind == "name":
            self.take("=")
            return ("set", text, self.expression())
        if text == "print":
            return ("print", self.expression())
        if text == "if":
            cond, then = self.condition(), self.block()
            otherwise = []
            if self.peek() == "else":
                self.take()
                otherwise = self.block()
            return ("if", cond, then, otherwise)
        if text == "while":
            return ("while", self.condition(), self.block())
        raise DSLError(f"a statement cannot start with {text!r}")

    def condition(self):
        left = self.expression()
        op = self.take()[1]
        if op not in _COMPARE:
            raise DSLError(f"expected a comparison, got {op!r}")
        return (op, left, self.expression())

    def expression(self):
        node = self.term()
        while self.peek() in ("+", "-"):
            node = (self.take()[1], node, self.term())
        return node

    def term(self):
        node = self.unary()
        while self.peek() in ("*", "/", "%"):
            node = (self.take()[1], node, self.unary())
        return node

    def unary(self):
        kind, text = self.take()
        if text == "-":
            return ("neg", self.unary())
        if kind == "num":
            return ("num", int(text))
        if kind == "name":
            return ("var", text)
        if text == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH * 4:
                raise DSLError("expression nests too deep")
            node = self.expression()
            self.take(")")
            self.depth -= 1
            return node
        raise DSLError(f"expected a number, a variable or '(', got {text!r}")


def parse(source: str) -> list:
    """The program's syntax tree; DSLError if it is not valid DSL."""
    parser = _Parser(tokenize(source))
    if not parser.tokens:
        raise DSLError("empty program")
    tree = parser.program()
    if parser.pos != len(parser.tokens):
        raise DSLError(f"unexpected {parser.tokens[parser.pos][1]!r} after the end of the program")
    return tree


class _Machine:
    def __init__(self, max_steps: int):
        self.max_steps = max_steps
        self.steps = 0
        self.env: dict[str, int] = {}
        self.output: list[int] = []

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise StepLimitExceeded(f"program ran more than {self.max_steps} steps (it may never terminate)")

    def run(self, statements: list) -> None:
        for statement in statements:
            self.tick()
            kind = statement[0]
            if kind == "set":
                self.env[statement[1]] = self.value(statement[2])
            elif kind == "print":
                self.output.append(self.value(statement[1]))
            elif kind == "if":
                self.run(statement[2] if self.test(statement[1]) else statement[3])
            else:
                while self.test(statement[1]):
                    self.run(statement[2])
                    self.tick()

    def test(self, cond) -> bool:
        op, left, right = cond
        return _COMPARE[op](self.value(left), self.value(right))

    def value(self, node) -> int:
        kind = node[0]
        if kind == "num":
            result = node[1]
        elif kind == "var":
            if node[1] not in self.env:
                raise DSLError(f"variable {node[1]!r} is read before it is set")
            result = self.env[node[1]]
        elif kind == "neg":
            result = -self.value(node[1])
        else:
            left, right = self.value(node[1]), self.value(node[2])
            if kind in ("/", "%") and right == 0:
                raise DSLError(f"{'division' if kind == '/' else 'modulo'} by zero")
            result = {"+": left + right, "-": left - right, "*": left * right}.get(kind) if kind in "+-*" else (
                left // right if kind == "/" else left % right)
        if abs(result) > MAX_VALUE:
            raise DSLError(f"value {result} exceeds the DSL's limit of {MAX_VALUE}")
        return result


def run(source: str, max_steps: int = 1000) -> str:
    """Run ``source`` and return what it printed, values separated by spaces.

    Raises:
        DSLError: invalid program, reading an unset variable, division by zero, values over the limit.
        StepLimitExceeded: more than ``max_steps`` statements and loop tests.
    """
    machine = _Machine(max_steps)
    machine.run(parse(source))
    return " ".join(map(str, machine.output))
