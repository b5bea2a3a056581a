"""Configuration nearest to each package (issue 18, item 2; ruff's semantics): every package is
analysed with the ``.goleaklint.toml`` nearest above its folder, whatever PATH was named;
``--config FILE`` overrides all of them; the command line's selection applies over each."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from goleaklint.cli import main

LEAK = ("package {name}\n\nvar cache = map[string]int{{}}\n\n"
        "func Add(k string) {{\n\tcache[k] = 1\n}}\n")
POLL = """package {name}

import "time"

func Poll(stop <-chan struct{{}}, work <-chan int, f func()) {{
	for {{
		select {{
		case <-stop:
			return
		case <-work:
			f()
		case <-time.After(time.Minute):
			f()
		}}
	}}
}}
"""


def write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def found(*argv: str) -> list[str]:
    """``file RULE`` of each finding of ``goleaklint ARGV``."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    assert code in (0, 1), err.getvalue()
    return sorted(f"{line.split(':')[0]} {line.split(': ')[1].split()[0]}"
                  for line in out.getvalue().splitlines())


@pytest.fixture
def monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No configuration at the top; ``svc`` has one that ignores GL101 and excludes
    ``legacy/**``; ``svc/poll`` one that says Go 1.23 (GL205 then stays silent)."""
    write(tmp_path / "go.mod", "module example.com/m\n\ngo 1.21\n")
    write(tmp_path / "top" / "top.go", LEAK.format(name="top"))
    write(tmp_path / "svc" / ".goleaklint.toml", 'ignore = ["GL101"]\nexclude = ["legacy/**"]\n')
    write(tmp_path / "svc" / "api" / "api.go", LEAK.format(name="api"))
    write(tmp_path / "svc" / "legacy" / "old.go", POLL.format(name="old"))
    write(tmp_path / "svc" / "poll" / ".goleaklint.toml", 'go-version = "1.23"\n')
    write(tmp_path / "svc" / "poll" / "poll.go", POLL.format(name="poll"))
    write(tmp_path / "loop" / "loop.go", POLL.format(name="loop"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_each_package_gets_its_nearest_configuration(monorepo: Path) -> None:
    # svc's file ignores GL101 in svc/api and excludes svc/legacy; svc/poll's says Go 1.23;
    # the top level has none: top and loop are analysed with the defaults
    assert found(".") == ["loop/loop.go GL205", "top/top.go GL101"]
    assert found("svc", "top") == ["top/top.go GL101"]
    assert found("top", "svc") == ["top/top.go GL101"]


def test_config_option_overrides_them_all(monorepo: Path) -> None:
    write(monorepo / "all.toml", "select = [\"GL1\", \"GL2\"]\n")
    assert found("--config", "all.toml", ".") == [
        "loop/loop.go GL205", "svc/api/api.go GL101", "svc/legacy/old.go GL205",
        "svc/poll/poll.go GL205", "top/top.go GL101"]


def test_the_command_line_selection_applies_over_each(monorepo: Path) -> None:
    assert found("--select", "GL101", ".") == ["svc/api/api.go GL101", "top/top.go GL101"]
    assert found("--ignore", "GL205", ".") == ["top/top.go GL101"]


def test_a_broken_nearest_configuration_is_one_line(monorepo: Path) -> None:
    write(monorepo / "svc" / "api" / ".goleaklint.toml", "colour = 1\n")
    out, err = io.StringIO(), io.StringIO()
    assert main(["."], out, err) == 2
    where = monorepo / "svc" / "api" / ".goleaklint.toml"
    assert err.getvalue().startswith(f"goleaklint: error: {where}:1:")
    assert err.getvalue().count("\n") == 1


def test_the_search_stops_at_the_repository_root(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``.goleaklint.toml`` above the repository (a home folder's, another project's) is not
    the repository's configuration; one at its root is."""
    write(tmp_path / ".goleaklint.toml", 'ignore = ["GL101"]\n')
    repo = tmp_path / "repo"
    write(repo / "go.mod", "module example.com/r\n\ngo 1.21\n")
    write(repo / "pkg" / "pkg.go", LEAK.format(name="pkg"))
    (repo / ".git").mkdir()
    monkeypatch.chdir(repo)
    assert found("pkg") == ["pkg/pkg.go GL101"]
    write(repo / ".goleaklint.toml", 'ignore = ["GL101"]\n')
    assert found("pkg") == []
    (repo / ".goleaklint.toml").unlink()
    (repo / ".git").rmdir()  # no repository: the search goes on up, as before
    assert found("pkg") == []
