"""SendGrid's Email Activity query language, the part of it the sandbox answers.

    to_email="jane@example.com" AND (unique_args['notification_id']="n-1")

Comparisons with `=` of to_email, from_email, msg_id, subject, status, or unique_args['NAME'] (the
mail's custom_args) to a value in double quotes (`\\"` and `\\\\` escape), joined with AND (any
case); parentheses may group them. Anything else, including the rest of SendGrid's language (OR,
NOT, LIKE, IN, BETWEEN, the other fields), is a QueryError that says what the sandbox read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIELDS = ("to_email", "from_email", "msg_id", "subject", "status")
STATUSES = ("processed", "delivered", "not_delivered")  # the document's enum
# Fields of SendGrid's language the sandbox keeps nothing for.
OTHER_FIELDS = frozenset(
    (
        "template_id", "asm_group_id", "api_key_id", "events", "originating_ip", "categories",
        "outbound_ip", "last_event_time", "clicks", "opens", "marketing_campaign_id",
        "marketing_campaign_name", "teammate", "outbound_ip_type",
    )
)  # fmt: skip
UNSUPPORTED_WORDS = frozenset(("or", "not", "like", "in", "between", "contains", "is"))
_SUPPORTED = ", ".join(FIELDS) + " and unique_args['NAME']"
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<quoted>'[^']*')
      | (?P<op>!=|<=|>=|[=()\[\]<>,])
      | (?P<other>\S)
    )""",
    re.VERBOSE | re.DOTALL,
)


class QueryError(ValueError):
    """A query the sandbox cannot read; the message says what and where."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One comparison: field (or unique_args with arg naming the custom arg) equals value."""

    field: str
    value: str
    arg: str | None = None


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # word, string, quoted, op, other, end
    text: str
    at: int  # 1-based character position, for the error messages


def parse(query: str) -> list[Condition]:
    """The conditions a mail must all meet; QueryError for anything outside the subset."""
    parser = _Parser(_tokens(query))
    if parser.peek().kind == "end":
        raise QueryError("invalid syntax: the query is empty")
    conditions = parser.expression()
    token = parser.peek()
    if token.kind != "end":
        raise parser.unexpected(token, "AND or the end of the query")
    return conditions


def _tokens(query: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup
        if kind is None:  # only whitespace was left
            break
        tokens.append(_Token(kind, match.group(kind), match.start(kind) + 1))
    tokens.append(_Token("end", "", len(query) + 1))
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]):
        self._tokens = tokens
        self._next = 0

    def peek(self) -> _Token:
        return self._tokens[self._next]

    def take(self) -> _Token:
        token = self._tokens[self._next]
        self._next += token.kind != "end"
        return token

    def expression(self) -> list[Condition]:
        conditions = self.term()
        while self.peek().kind == "word" and self.peek().text.upper() == "AND":
            self.take()
            conditions.extend(self.term())
        return conditions

    def term(self) -> list[Condition]:
        token = self.take()
        if token.text == "(" and token.kind == "op":
            conditions = self.expression()
            closing = self.take()
            if closing.text != ")":
                raise self.unexpected(closing, "')' or AND")
            return conditions
        word = token.text.lower()
        if token.kind != "word" or word == "and" or word in UNSUPPORTED_WORDS:
            raise self.unexpected(token, "a field name or '('")
        return [self.comparison(token)]

    def comparison(self, name: _Token) -> Condition:
        field, arg = name.text, None
        if field == "unique_args":
            self.expect("[", "'[' after unique_args")
            key = self.take()
            if key.kind not in ("quoted", "string"):
                raise self.unexpected(key, "the argument's name in quotes, as unique_args['NAME']")
            arg = key.text[1:-1]
            self.expect("]", "']' after the argument's name")
        elif field not in FIELDS:
            raise QueryError(_unknown_field(field))
        operator = self.take()
        if operator.kind == "op" and operator.text in ("!=", "<", ">", "<=", ">="):
            raise QueryError(
                f"invalid syntax at character {operator.at}: the sandbox compares with = only, "
                f"not {operator.text}"
            )
        if operator.text != "=":
            raise self.unexpected(operator, f"'=' after {field}")
        value = self.take()
        if value.kind != "string":
            if value.text == '"':
                raise QueryError(
                    f"invalid syntax at character {value.at}: the value has no closing double quote"
                )
            hint = " (straight quotes, not “ ”)" if value.text in ("“", "”") else ""
            raise self.unexpected(value, f"a value in double quotes after {field}={hint}")
        text = _unquote(value.text)
        if field == "status" and text not in STATUSES:
            raise QueryError(f"invalid value: status is one of {', '.join(STATUSES)}, not {text!r}")
        return Condition(field, text, arg)

    def expect(self, text: str, what: str) -> None:
        token = self.take()
        if token.text != text or token.kind not in ("op", "other"):
            raise self.unexpected(token, what)

    def unexpected(self, token: _Token, expected: str) -> QueryError:
        if token.kind == "end":
            return QueryError(f"invalid syntax: the query ends where {expected} should follow")
        if token.kind == "word" and token.text.lower() in UNSUPPORTED_WORDS:
            return QueryError(
                f"invalid syntax at character {token.at}: the sandbox does not support "
                f"{token.text.upper()} (only = comparisons joined with AND)"
            )
        return QueryError(
            f"invalid syntax at character {token.at}: expected {expected}, found {token.text!r}"
        )


def _unknown_field(field: str) -> str:
    if field.lower() in OTHER_FIELDS:
        return (
            f"invalid syntax: the sandbox does not filter on {field!r}; it filters on {_SUPPORTED}"
        )
    return f"invalid syntax: {field!r} is not a known field; known: {_SUPPORTED}"


def _unquote(text: str) -> str:
    inner = text[1:-1]
    return re.sub(r"\\(.)", r"\1", inner, flags=re.DOTALL) if "\\" in inner else inner
