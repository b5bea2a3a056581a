"""A package's ``Result`` and recorded inputs as JSON values and back, for the result cache.

Decoding checks every value's type and shape: anything else raises ``ValueError`` (a stored
entry that is not what this version writes is a miss, never a wrong result). Paths are kept as
``os.fsdecode`` gives them (a name that is not UTF-8 round-trips through JSON's escapes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar, cast

from .engine import Notice, Result
from .fixes import Edit, Fix
from .inputs import FileRead, Input, Listing
from .rule import TIERS, Finding, Location, Related, Tier
from .suppress import Suppression

T = TypeVar("T")


def _is(value: object, kind: type[T]) -> T:
    if type(value) is not kind:  # bool is no int here, nor int a float
        raise ValueError(f"expected {kind.__name__}, found {type(value).__name__}")
    return value  # narrowed to T by the type() check


def _list(value: object, size: int | None = None) -> list[Any]:
    items = _is(value, list)
    if size is not None and len(items) != size:
        raise ValueError(f"expected {size} items, found {len(items)}")
    return items


def _ints(value: object) -> tuple[int, ...]:
    return tuple(_is(v, int) for v in _list(value))


def _strs(value: object) -> tuple[str, ...]:
    return tuple(_is(v, str) for v in _list(value))


# Findings -------------------------------------------------------------------------------------

def _location(loc: Location) -> list[Any]:
    return [str(loc.path), loc.line, loc.column, loc.end_line, loc.end_column]


def _read_location(value: object) -> Location:
    path, *numbers = _list(value, 5)
    line, column, end_line, end_column = (_is(n, int) for n in numbers)
    return Location(Path(_is(path, str)), line, column, end_line, end_column)


def _edit(e: Edit) -> list[Any]:
    return [e.start_byte, e.end_byte, e.new_text, list(e.start), list(e.end)]


def _read_edit(value: object) -> Edit:
    start_byte, end_byte, new_text, start, end = _list(value, 5)
    start_pos, end_pos = _ints(start), _ints(end)
    if len(start_pos) != 2 or len(end_pos) != 2:
        raise ValueError("an edit's position is a line and a column")
    return Edit(_is(start_byte, int), _is(end_byte, int), _is(new_text, str),
                (start_pos[0], start_pos[1]), (end_pos[0], end_pos[1]))


def _fix(fix: Fix | None) -> list[Any] | None:
    if fix is None:
        return None
    return [fix.description, [_edit(e) for e in fix.edits], list(fix.scope)]


def _read_fix(value: object) -> Fix | None:
    if value is None:
        return None
    description, edits, scope = _list(value, 3)
    span = _ints(scope)
    if len(span) != 2:
        raise ValueError("a fix's scope is two offsets")
    return Fix(_is(description, str), tuple(_read_edit(e) for e in _list(edits)),
               (span[0], span[1]))


def _finding(f: Finding) -> list[Any]:
    return [f.rule_id, f.rule_name, f.level, _location(f.location), f.message, f.snippet,
            [[_location(r.location), r.message] for r in f.related], _fix(f.fix), f.tier]


def _read_finding(value: object) -> Finding:
    rule_id, rule_name, level, location, message, snippet, related, fix, tier = _list(value, 9)
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}")
    return Finding(
        _is(rule_id, str), _is(rule_name, str), _is(level, str), _read_location(location),
        _is(message, str), _is(snippet, str),
        tuple(Related(_read_location(loc), _is(text, str))
              for loc, text in (_list(r, 2) for r in _list(related))),
        _read_fix(fix), cast(Tier, tier),
    )


# Notices and suppressions ---------------------------------------------------------------------

def _notice(n: Notice) -> list[Any]:
    return [str(n.path), n.line, n.kind, n.message, n.detail]


def _read_notice(value: object) -> Notice:
    path, line, kind, message, detail = _list(value, 5)
    return Notice(Path(_is(path, str)), _is(line, int), _is(kind, str), _is(message, str),
                  _is(detail, str))


def _suppression(s: Suppression) -> list[Any]:
    return [s.line, s.column, list(s.lines), list(s.codes), s.reason, s.names_goleaklint,
            s.start_byte, s.end_byte]


def _read_suppression(value: object) -> Suppression:
    line, column, lines, codes, reason, named, start_byte, end_byte = _list(value, 8)
    return Suppression(_is(line, int), _is(column, int), _ints(lines), _strs(codes),
                       _is(reason, str), _is(named, bool), _is(start_byte, int),
                       _is(end_byte, int))


# Results and inputs ---------------------------------------------------------------------------

def encode_result(result: Result) -> dict[str, Any]:
    """A package's result as JSON values (its profiles' evidence is added later, never stored)."""
    return {
        "findings": [_finding(f) for f in result.findings],
        "notices": [_notice(n) for n in result.notices],
        "suppressions": [[str(path), [_suppression(s) for s in found]]
                         for path, found in result.suppressions.items()],
        "files": result.files,
    }


def decode_result(value: object) -> Result:
    """``encode_result``'s inverse; ``ValueError`` for anything it would not have written."""
    data = _is(value, dict)
    suppressions = {}
    for entry in _list(data["suppressions"]):
        path, found = _list(entry, 2)
        suppressions[Path(_is(path, str))] = [_read_suppression(s) for s in _list(found)]
    return Result(
        findings=[_read_finding(f) for f in _list(data["findings"])],
        notices=[_read_notice(n) for n in _list(data["notices"])],
        suppressions=suppressions,
        files=_is(data["files"], int),
    )


def encode_inputs(items: list[Input]) -> list[list[Any]]:
    """Recorded inputs as JSON values."""
    out: list[list[Any]] = []
    for item in items:
        if isinstance(item, Listing):
            out.append(["listing", item.folder, list(item.names)])
        else:
            out.append(["file", item.path, item.size, item.mtime_ns, item.ctime_ns, item.ino,
                        item.dev, item.digest, item.settled])
    return out


def decode_inputs(value: object) -> list[Input]:
    """``encode_inputs``'s inverse; ``ValueError`` for anything it would not have written."""
    items: list[Input] = []
    for entry in _list(value):
        kind, *rest = _list(entry)
        if kind == "file" and len(rest) == 8 and list(map(type, rest)) == _FILE_READ:
            items.append(FileRead(*rest))
        elif kind == "listing" and len(rest) == 2:
            items.append(Listing(_is(rest[0], str), _strs(rest[1])))
        else:
            raise ValueError(f"not an input: {kind!r}")
    return items


_FILE_READ = [str, int, int, int, int, int, str, bool]
