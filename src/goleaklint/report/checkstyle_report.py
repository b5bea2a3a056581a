"""Checkstyle XML, as reviewdog (``-f=checkstyle``), Jenkins warnings-ng and many CI dashboards
read it: ``<checkstyle version=…>``, a ``<file name=…>`` per file with findings, an
``<error line= column= severity= message= source=…/>`` per finding (``source`` is
``goleaklint.GL101``, the category warnings-ng shows). Notices (a file that did not parse, a
rule that raised) are the schema's ``<exception>`` elements of their file.

Built with ``xml.etree.ElementTree``, which escapes markup (``<&"'``, line breaks in attributes);
characters that XML 1.0 cannot hold at all, even as references (control characters but tab and
line breaks), are written as ``\\xNN`` escapes, and the bytes of a file name that are not UTF-8
percent-encoded as in JSON. The document is ASCII (other characters as references), so it is
well-formed UTF-8 whatever the output stream's encoding. Paths are relative to the current
directory, as the other formats print them. The format has no limit: every finding is written.
With ``--profile``, a finding's evidence follows its message in brackets (as ``--format github``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TextIO

from ..engine import Result
from ..paths import utf8_path
from ..rule import Rule

VERSION = "4.3"  # the Checkstyle report version other linters' writers claim
SEVERITY = {"error": "error", "warning": "warning", "note": "info"}
# What XML 1.0's Char production excludes (surrogates, from undecodable text, included).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(match: re.Match[str]) -> str:
    c = ord(match.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot hold written as escapes."""
    return _NOT_XML.sub(_escape, text)


def build(result: Result) -> ET.Element:
    """The ``<checkstyle>`` element of a run."""
    root = ET.Element("checkstyle", version=VERSION)
    files: dict[Path, ET.Element] = {}

    def file_element(path: Path) -> ET.Element:
        if path not in files:
            files[path] = ET.SubElement(root, "file", name=xml_text(utf8_path(path)))
        return files[path]

    for f in result.findings:
        loc = f.location
        seen = result.profiles.of(f) if result.profiles is not None else []
        evidence = "".join(f" [{e.text()}]" for e in seen)  # --profile's, as --format github
        ET.SubElement(file_element(loc.path), "error", {
            "line": str(loc.line),
            "column": str(loc.column),
            "severity": SEVERITY.get(f.level, "warning"),
            "message": xml_text(f"{f.rule_name}: {f.message}{evidence}"),
            "source": f"goleaklint.{f.rule_id}",
        })
    for n in result.notices:
        where = f"line {n.line}: " if n.line > 0 else ""
        ET.SubElement(file_element(n.path), "exception").text = xml_text(
            f"{where}{n.kind}: {n.message}")
    return root


def write(result: Result, rules: list[type[Rule]], out: TextIO) -> None:
    root = build(result)
    ET.indent(root)
    body = ET.tostring(root, encoding="us-ascii", xml_declaration=False).decode("ascii")
    out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n')
