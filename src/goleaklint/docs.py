"""A rule's documentation lives in its docstring; this module reads it and renders ``rules/*.md``.

``scripts/generate_rule_docs.py`` writes the files; a test fails when they are stale.
"""

from __future__ import annotations

import re

from .rule import Rule

# Sections every rule docstring must have, in this order.
SECTIONS = (
    "What it finds",
    "Why it leaks",
    "Example",
    "Use instead",
    "Known limits",
    "Peers",
)
CODE_SECTIONS = ("Example", "Use instead")
_HEADING = re.compile(r"^## (.+?)\s*$", re.MULTILINE)
_GO_BLOCK = re.compile(r"```go\n(.*?)```", re.DOTALL)


def cleandoc(doc: str) -> str:
    """``inspect.cleandoc`` without its tab expansion: Go code in a docstring keeps its tabs.

    The docstring's own indentation (spaces, as Python is written) is removed; what follows it
    on each line, gofmt's tabs included, is kept as written.
    """
    lines = doc.splitlines()
    if not lines:
        return ""
    rest = lines[1:]
    margin = min((len(x) - len(x.lstrip(" ")) for x in rest if x.strip()), default=0)
    cleaned = [lines[0].strip()]
    cleaned += [x[margin:] if x.startswith(" " * margin) else x.lstrip(" ") for x in rest]
    return "\n".join(x.rstrip() for x in cleaned).strip("\n")


def sections(rule: type[Rule]) -> dict[str, str]:
    """The docstring's ``## Heading`` sections, by heading, with their bodies stripped."""
    doc = cleandoc(rule.__doc__ or "")
    parts = _HEADING.split(doc)
    found: dict[str, str] = {"": parts[0].strip()}
    for i in range(1, len(parts) - 1, 2):
        found[parts[i].strip()] = parts[i + 1].strip()
    return found


def missing_sections(rule: type[Rule]) -> list[str]:
    """Required sections the docstring lacks (or leaves empty), and code sections without Go."""
    have = sections(rule)
    missing = [s for s in SECTIONS if not have.get(s)]
    missing += [f"{s} (a ```go block)" for s in CODE_SECTIONS if s in have and not go_code(rule, s)]
    return missing


def go_code(rule: type[Rule], section: str) -> str:
    """The Go source of the first ```go block of a section (empty when none)."""
    match = _GO_BLOCK.search(sections(rule).get(section, ""))
    return match.group(1) if match else ""


def full_description(rule: type[Rule]) -> str:
    """What the rule finds, as plain text (SARIF ``fullDescription``, at most 1024 characters)."""
    body = " ".join(sections(rule).get("What it finds", rule.summary).split())
    return body if len(body) <= 1024 else body[:1021].rsplit(" ", 1)[0] + "..."


def render_markdown(rule: type[Rule]) -> str:
    """The rule's document: ``rules/<ID>.md``, ``goleaklint explain`` and SARIF ``help``."""
    have = sections(rule)
    lines = [f"# {rule.id} {rule.name}", ""]
    lines += [f"*{rule.summary}*", ""]
    lines += [f"Family: {rule.family} · Default level: {rule.level} · Precision: {rule.precision}"]
    lines += [""]
    for section in SECTIONS:
        lines += [f"## {section}", "", have.get(section, ""), ""]
    if rule.options:
        lines += ["## Options", "", f"Set in `.goleaklint.toml` under `[rules.{rule.id}]`:", ""]
        for name, opt in sorted(rule.options.items()):
            lines.append(f"- `{name}` ({opt.type.__name__}, default `{opt.default!r}`): {opt.help}")
        lines.append("")
    if rule.suppressible:
        how = f"`//goleaklint:ignore {rule.id} <reason>` on the reported line or the line above."
    else:
        how = (f"Not with a comment: its findings are not suppressible inline. Set "
               f'`ignore = ["{rule.id}"]` in `.goleaklint.toml`, or record it in a baseline.')
    lines += ["## Suppressing", "", how, ""]
    return "\n".join(lines)


def render_text(rule: type[Rule]) -> str:
    """The document for a terminal (markdown reads well as plain text)."""
    return render_markdown(rule)
