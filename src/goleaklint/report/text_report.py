"""``path:line:col: GL101 unbounded-global-map: message``, one finding a line (a line break in
the quoted code or in the file name is escaped: see ``goleaklint.oneline``). With
``--profile``, what each profile saw there follows in brackets:
``[profile heap.pb.gz: 412 MiB live, 1,300,000 objects]``."""

from __future__ import annotations

from typing import TextIO

from ..engine import Result
from ..oneline import line_start, one_line
from ..paths import display_path
from ..rule import Rule


def write(result: Result, rules: list[type[Rule]], out: TextIO) -> None:
    for f in result.findings:
        loc = f.location
        seen = result.profiles.of(f) if result.profiles is not None else []
        evidence = "".join(f" [{one_line(e.text())}]" for e in seen)
        out.write(
            f"{line_start(display_path(loc.path))}:{loc.line}:{loc.column}: "
            f"{f.rule_id} {f.rule_name}: {one_line(f.message)}{evidence}\n"
        )
