"""One line per item in every line-oriented output (issue 16, item 5).

A GitHub Actions runner reads a step's stdout and stderr line by line (a line ends at ``\\r``,
``\\n`` or ``\\r\\n``) and executes a line that starts with ``::`` after blanks (``TryParseV2``)
or that holds ``##[command]`` anywhere (the legacy ``TryParse``). Go code quoted in a message, or
a file name, must never produce such a line; ``--format github`` must produce exactly one
command per finding, whose properties and message the runner unescapes back to what was meant.
``parse_v2`` and ``unescape`` below follow actions/runner's ``ActionCommand.cs``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from goleaklint.cli import main
from goleaklint.oneline import line_start, one_line

# The runner's escape tables, in its unescaping order (``%25`` last).
DATA = (("\r", "%0D"), ("\n", "%0A"), ("%", "%25"))
PROPERTY = (("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C"), ("%", "%25"))
COMMANDS = {"error", "warning", "notice", "debug", "group", "endgroup", "add-mask",
            "stop-commands", "set-output", "echo", "add-matcher"}

# A send stranded by a `select` that returns through a `time.After` case: GL301 quotes the case
# (`returns through the `<-time.After(…)` case`), raw string and all.
STRANDED = """package inj

import "time"

func wait(s ...string) time.Duration { return time.Second }

func Run(f func() error) error {
	done := make(chan error)
	go func() {
		done <- f()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(wait(`PAYLOAD`, "##[error]legacy")):
		return nil
	}
}
""".replace("PAYLOAD", "\n::error file=evil.go,line=1::forged 100%\r::warning::cr\u2028::notice::ls"
            "\x85nel")
LEAK = """package names

var {name} = map[string]int{{}}

func Add{name}(k string) {{
	{name}[k] = 1
}}
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def runner_lines(text: str) -> list[str]:
    assert text.endswith("\n")
    return re.split(r"\r\n|\r|\n", text[:-1])


def unescape(value: str, table: tuple[tuple[str, str], ...]) -> str:
    for token, replacement in table:
        value = value.replace(replacement, token)
    return value


def parse_v2(line: str) -> tuple[str, dict[str, str], str] | None:
    """``TryParseV2``: (command, properties, data) of a ``::command k=v,…::data`` line."""
    message = line.lstrip()
    end = message.find("::", 2)
    if not message.startswith("::") or end < 0:
        return None
    info = message[2:end]
    name, _, props = info.partition(" ")
    if name not in COMMANDS:
        return None
    properties = {}
    for pair in filter(None, props.strip().split(",")):
        key, sep, value = pair.partition("=")
        if sep:
            properties[key] = unescape(value, PROPERTY)
    return name, properties, unescape(message[end + 2:], DATA)


def forged(text: str) -> list[str]:
    """The lines of ``text`` a runner would execute as commands (V2 or legacy ``##[``)."""
    return [line for line in runner_lines(text)
            if parse_v2(line) is not None or re.search(r"##\[[\w-]+", line)]


@pytest.mark.parametrize(("text", "shown"), [
    ("plain `code` with\ttab, é and 😀", "plain `code` with\ttab, é and 😀"),
    ("a\nb", "a\\nb"),
    ("a\r\nb", "a\\r\\nb"),
    ("\x1b[31mred", "\\x1b[31mred"),
    ("v\x0bf\x0cfs\x1cnel\x85del\x7f", "v\\x0bf\\x0cfs\\x1cnel\\x85del\\x7f"),
    ("ls\u2028ps\u2029", "ls\\u2028ps\\u2029"),
    ("x ##[error]y", "x ##\\x5berror]y"),
    ("nul\x00", "nul\\x00"),
])
def test_one_line(text: str, shown: str) -> None:
    assert one_line(text) == shown
    assert len(shown.splitlines()) == 1 and one_line(shown) == shown


def test_a_path_that_would_start_a_command_line_gets_dot_slash() -> None:
    assert line_start("::error::x.go") == "./::error::x.go"
    assert line_start("  ::error::x.go") == "./  ::error::x.go"
    assert line_start("a::b.go") == "a::b.go"
    assert line_start("a\n::error::b.go") == "a\\n::error::b.go"


@pytest.fixture
def stranded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "inj").mkdir()
    (tmp_path / "inj" / "inj.go").write_bytes(STRANDED.encode("utf-8"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_quoted_code_cannot_forge_a_line(stranded: Path) -> None:
    code, out, err = run("inj")
    assert code == 1
    (line,) = runner_lines(out)
    assert len(out.splitlines()) == 1
    assert line.startswith("inj/inj.go:10:3: GL301 blocked-goroutine-send: ")
    assert ("`<-time.After(wait(`\\n::error file=evil.go,line=1::forged 100%\\r::warning::cr"
            "\\u2028::notice::ls\\x85nel`, \"##\\x5berror]legacy\"))` case at line 15") in line
    assert forged(out) == [] and forged(err) == []


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_formats_carry_the_same_one_line_message(stranded: Path, fmt: str) -> None:
    _, out, _ = run("--format", fmt, "inj")
    assert "::forged 100%\\\\r::warning::cr" in out  # the escape, JSON-encoded
    assert "##[" not in out


def test_github_format_is_one_command_per_finding(stranded: Path) -> None:
    code, out, _ = run("--format", "github", "inj")
    assert code == 1
    (line,) = runner_lines(out)
    command, props, data = parse_v2(line)
    assert (command, props["file"], props["line"]) == ("warning", "inj/inj.go", "10")
    assert "forged 100%\\r::warning::cr" in data  # `%` written %25, read back as %
    assert "##[" not in line


@pytest.fixture
def odd_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A package whose file names hold line breaks and command prefixes."""
    names = {
        "newline": "leak\n::error file=evil.go::forged.go",
        "cr": "cr\r::warning::forged,x:y%0A%.go",
        "start": "::error::start.go",
    }
    pkg = tmp_path / "names"
    pkg.mkdir()
    for key, name in names.items():
        (pkg / name).write_text(LEAK.format(name=key), encoding="utf-8")
    (pkg / "::error::start.go").write_text(LEAK.format(name="start") + "func (", encoding="utf-8")
    (pkg / "dangling\n::error::link.go").symlink_to("nowhere.go")
    monkeypatch.chdir(tmp_path)
    return {key: "names/" + name for key, name in names.items()}


def test_file_names_cannot_forge_a_line(odd_names: dict[str, str]) -> None:
    code, out, err = run("names")
    assert code == 1
    assert forged(out) == [] and forged(err) == []
    lines = runner_lines(out)
    assert len(lines) == len(out.splitlines()) == 3
    assert sorted(line.split(": GL101")[0].rsplit(":", 2)[0] for line in lines) == sorted([
        "names/leak\\n::error file=evil.go::forged.go",
        "names/cr\\r::warning::forged,x:y%0A%.go",
        "names/::error::start.go",
    ])
    problems = runner_lines(err)
    assert len(problems) == len(err.splitlines()) == 3, err
    assert problems[0] == ("goleaklint: warning: names/dangling\\n::error::link.go: cannot read "
                           "(No such file or directory)")
    assert problems[1].startswith("names/::error::start.go:8: warning: parse-error: ")


def test_a_file_name_at_the_start_of_a_line_cannot_be_a_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "::error::start.go").write_text(LEAK.format(name="start") + "func (")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(".")
    assert code == 1
    assert out.startswith("./::error::start.go:6:2: GL101 ")
    assert err.startswith("./::error::start.go:8: warning: parse-error: ")
    assert forged(out) == [] and forged(err) == []


def test_github_properties_round_trip_odd_file_names(odd_names: dict[str, str]) -> None:
    _, out, err = run("--format", "github", "names")
    lines = runner_lines(out)
    assert len(lines) == 3
    parsed = [parse_v2(line) for line in lines]
    assert all(p is not None and p[0] == "warning" for p in parsed)
    assert sorted(p[1]["file"] for p in parsed) == sorted(odd_names.values())
    assert all(set(p[1]) == {"file", "line", "col", "endLine", "endColumn", "title"}
               for p in parsed)
    assert forged(err) == []


def test_a_usage_error_naming_a_path_is_one_line(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run("nope\n::error::x.go")
    assert code == 2
    assert err == "goleaklint: error: nope\\n::error::x.go: no such file or directory\n"
