"""A rule's documentation lives in its docstring; this module reads it and renders ``rules/*.md``.

``scripts/generate_rule_docs.py`` writes the files; a test fails when they are stale.
"""

from __future__ import annotations

import inspect
import re

from .precision import precision_line
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
    """The docstring as ``inspect.cleandoc`` leaves it, with the gofmt tabs of its Go code back.

    Python 3.13 cleans a docstring when it compiles it (tabs expanded, the common indentation
    removed); earlier versions keep it as written. ``inspect.cleandoc`` makes the same text of
    either, so a document is the same on every version. What that loses is the Go code's tabs:
    ``k`` tabs after a margin of ``m`` spaces become ``8k - m % 8`` spaces, which ``_retab`` turns
    back into ``k`` tabs.
    """
    text = "\n".join(line.rstrip() for line in inspect.cleandoc(doc).splitlines())
    return _GO_BLOCK.sub(lambda m: "```go\n" + _retab(m.group(1)) + "```", text)


def _retab(code: str) -> str:
    """Go code whose indentation is expanded tabs, indented with tabs again.

    Tabs expanded after a margin leave every indentation at the same remainder modulo 8, and
    ``ceil(width / 8)`` is the number of tabs. Code indented otherwise (spaces by hand) does not
    fit that pattern and is left as it is.
    """
    lines = code.split("\n")
    widths = [len(x) - len(x.lstrip(" ")) for x in lines]
    if len({w % 8 for w in widths if w}) != 1:
        return code
    return "\n".join("\t" * -(-w // 8) + x[w:] for x, w in zip(lines, widths, strict=True))


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
    lines += [f"Family: {rule.family} · Default level: {rule.level} · Tier: {rule.tier}", ""]
    if rule.tier == "opt-in":
        lines += [tier_line(rule), ""]
    lines += [precision_line(rule), ""]
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


def tier_line(rule: type[Rule]) -> str:
    """How to enable an opt-in rule."""
    return (f"Opt-in: off by default; it runs only when named, as in `--select {rule.id}`, "
            f"`--extend-select {rule.id}` or `extend-select = [\"{rule.id}\"]` in "
            f"`.goleaklint.toml` (a prefix with a digit such as `{rule.id[:-2]}` names it too; "
            f"`ALL` and `{rule.id.rstrip('0123456789')}` do not).")


def render_text(rule: type[Rule]) -> str:
    """The document for a terminal (markdown reads well as plain text)."""
    return render_markdown(rule)
