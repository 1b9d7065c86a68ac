"""Strict JSON parsing: the bytes we hash must mean exactly one thing.

The stdlib parser is lenient where it matters for digests: it keeps the last of two duplicate
keys, accepts NaN and Infinity, and turns 1e400 into an infinite float. Two readers of such a file
can disagree about its content while agreeing on its hash, so every one of these is an error here.
The rules follow I-JSON (RFC 7493), which RFC 8785 canonicalisation assumes.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from attest.core.errors import InputError, StrictJSONError

_BOM = b"\xef\xbb\xbf"
MAX_DEPTH = 256
_STRUCTURAL = re.compile(r'[\[\]{}"\\]')
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# the only way a surrogate gets into parsed JSON: strict UTF-8 decoding refuses encoded ones
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# Characters str.splitlines() breaks on that json.dumps(ensure_ascii=False) leaves alone.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def quote_text(text: str) -> str:
    """Quote a user-supplied string for an error message, keeping the message on one line."""
    quoted = json.dumps(text, ensure_ascii=False)
    quoted = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)
    for char, escape in _LINE_BREAKS.items():
        quoted = quoted.replace(char, escape)
    return quoted


def format_path(parts: Iterable[str | int]) -> str:
    """Render a location as `metrics[3].value`, the form every error message uses."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{quote_text(part)}]"
    return out


class _DuplicateKeyDict(dict[str, Any]):
    """An object that had a repeated key; found (with its path) by the walk after parsing."""

    duplicate: str


class _NonFinite:
    """Stands in for NaN/Infinity so the walk can report where the constant was."""

    def __init__(self, token: str) -> None:
        self.token = token


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    flagged = _DuplicateKeyDict(obj)
    for key, _ in pairs:
        if key in seen:
            flagged.duplicate = key
            break
        seen.add(key)
    return flagged


def _check_tree(root: Any, path: str | Path | None) -> None:
    """Find the first (in document order) value the parser accepted but strict JSON forbids."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), root)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            if isinstance(value, _DuplicateKeyDict):
                key = value.duplicate
                raise StrictJSONError(
                    f"duplicate key {quote_text(key)}", path=path, field=format_path((*where, key))
                )
            for key in value:
                if _SURROGATE.search(key):
                    raise StrictJSONError(
                        "object key contains an unpaired UTF-16 surrogate escape",
                        path=path,
                        field=format_path((*where, key)) or None,
                    )
            stack.extend(((*where, k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend(((*where, i), v) for i, v in reversed(list(enumerate(value))))
        elif isinstance(value, _NonFinite):
            raise StrictJSONError(
                f"{value.token} is not a JSON number", path=path, field=format_path(where) or None
            )
        elif isinstance(value, float) and not math.isfinite(value):
            raise StrictJSONError(
                "number is too large to represent (overflows to infinity)",
                path=path,
                field=format_path(where) or None,
            )
        elif isinstance(value, str) and _SURROGATE.search(value):
            raise StrictJSONError(
                "string contains an unpaired UTF-16 surrogate escape",
                path=path,
                field=format_path(where) or None,
            )


def _max_depth(text: str) -> int:
    """Deepest array/object nesting, ignoring brackets inside strings (a single linear scan)."""
    depth = deepest = 0
    in_string = False
    skip = -1
    for m in _STRUCTURAL.finditer(text):
        i, ch = m.start(), m.group()
        if i == skip:
            continue
        if in_string:
            if ch == "\\":
                skip = i + 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _more_openers_than(text: str, limit: int) -> bool:
    """Whether `text` holds more than `limit` `[` and `{` together (so it may nest deeper than
    `limit`): found one at a time with str.find (memchr) and stopped past the limit, where str.count
    would scan every character of a large, shallow document such as a receipt."""
    n = 0
    for ch in "[{":
        i = text.find(ch)
        while i != -1:
            n += 1
            if n > limit:
                return True
            i = text.find(ch, i + 1)
    return False


def load_strict(data: bytes, *, path: str | Path | None = None) -> Any:
    """Parse UTF-8 JSON bytes, raising StrictJSONError (one line, file and field) on anything ambiguous."""
    if data.startswith(_BOM):
        raise StrictJSONError("starts with a UTF-8 byte order mark (BOM); JSON must not have one", path=path)
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise StrictJSONError(f"invalid UTF-8 at byte offset {e.start}", path=path) from None
    if not text.strip(" \t\r\n"):
        raise StrictJSONError("empty document: expected a JSON value", path=path)
    if _more_openers_than(text, MAX_DEPTH) and _max_depth(text) > MAX_DEPTH:
        # Checked before parsing: deep nesting can overflow the C stack of the json scanner in a
        # thread with a small stack, which would crash the process instead of raising.
        raise StrictJSONError(f"JSON is nested more than {MAX_DEPTH} levels deep", path=path)
    suspect: list[bool] = []  # set by the parser's hooks: what the walk below must then locate

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) == len(items):  # no key repeated: the common case, without a second call
            return obj
        suspect.append(True)
        return _object_pairs(items)

    def constant(token: str) -> _NonFinite:
        suspect.append(True)
        return _NonFinite(token)

    def number(token: str) -> float:
        value = float(token)
        if not math.isfinite(value):
            suspect.append(True)
        return value

    try:
        result = json.loads(text, object_pairs_hook=pairs, parse_constant=constant, parse_float=number)
    except json.JSONDecodeError as e:
        raise StrictJSONError(
            f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}", path=path
        ) from None
    except RecursionError:
        raise StrictJSONError("JSON is nested too deeply", path=path) from None
    except ValueError as e:  # e.g. an integer with more digits than Python will convert
        raise StrictJSONError(f"invalid JSON: {str(e).splitlines()[0]}", path=path) from None
    # the walk names the first offending value with its path; a document nothing flagged and without
    # a surrogate escape has none, and is not walked (thousands of receipts are read in a bulk run);
    # a text without a backslash has no escape at all (memchr, before the regular expression's scan)
    if suspect or ("\\" in text and _SURROGATE_ESCAPE.search(text)):
        _check_tree(result, path)
    return result


def load_strict_file(path: str | Path) -> Any:
    """Read a whole file and parse it strictly; unreadable files are input errors too."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"cannot read file: {e.strerror or e}", path=path) from None
    return load_strict(data, path=path)
