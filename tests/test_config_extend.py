"""``extend = "../.goleaklint.toml"`` (issue 18, item 2, in part): a configuration inherits
another's settings, ruff's way: its own keys win, a ``select`` starts the selection afresh,
``extend-select`` and ``ignore`` add to the base's, rule options merge option by option, and an
inherited ``exclude`` stays relative to the folder of the file that wrote it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from goleaklint.cli import main

LEAK = "package pkg\n\nvar cache = map[string]int{}\n\nfunc Add(k string) {\n\tcache[k] = 1\n}\n"


def write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def shown(path: str) -> dict:
    code, out, err = run("config", path)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write(tmp_path / ".goleaklint.toml",
          'ignore = ["GL205"]\nexclude = ["svc/gen/**"]\ngo-version = "1.21"\n'
          "[rules.GL401]\nlarge-size = 4096\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_file_inherits_what_it_does_not_set(repo: Path) -> None:
    write(repo / "svc" / ".goleaklint.toml",
          'extend = "../.goleaklint.toml"\nignore = ["GL204"]\n')
    config = shown("svc")
    assert config["file"] == str(repo / "svc" / ".goleaklint.toml")
    assert config["extends"] == [str(repo / "svc" / ".." / ".goleaklint.toml")]
    assert config["ignore"] == ["GL205", "GL204"]
    assert config["go-version"] == "1.21"
    assert config["go-version-from"] == str(repo / "svc" / ".." / ".goleaklint.toml")
    assert config["rules"]["GL401"]["large-size"] == 4096
    assert "GL204" not in config["enabled-rules"] and "GL205" not in config["enabled-rules"]


def test_own_keys_win_and_select_starts_afresh(repo: Path) -> None:
    write(repo / "svc" / ".goleaklint.toml",
          'extend = "../.goleaklint.toml"\nselect = ["GL2"]\ngo-version = "1.22"\n'
          "[rules.GL401]\n")
    config = shown("svc")
    assert config["select"] == ["GL2"] and config["ignore"] == []
    assert "GL205" in config["enabled-rules"]
    assert config["go-version"] == "1.22"
    assert config["go-version-from"] == str(repo / "svc" / ".goleaklint.toml")
    assert config["rules"]["GL401"]["large-size"] == 4096


def test_an_inherited_exclude_is_relative_to_the_file_that_wrote_it(repo: Path) -> None:
    write(repo / "svc" / ".goleaklint.toml", 'extend = "../.goleaklint.toml"\n')
    write(repo / "svc" / "gen" / "gen.go", LEAK)
    write(repo / "svc" / "api" / "api.go", LEAK)
    code, out, _ = run("svc")
    assert code == 1 and "svc/api/api.go" in out and "svc/gen" not in out


def test_a_chain_of_extends(repo: Path) -> None:
    write(repo / "svc" / ".goleaklint.toml",
          'extend = "../.goleaklint.toml"\nextend-select = ["GL101"]\n')
    write(repo / "svc" / "api" / ".goleaklint.toml",
          'extend = "../.goleaklint.toml"\nignore = ["GL204"]\n')
    config = shown("svc/api")
    assert len(config["extends"]) == 2
    assert config["extend-select"] == ["GL101"] and config["ignore"] == ["GL205", "GL204"]


@pytest.mark.parametrize(("value", "why"), [
    ('"missing.toml"', "missing.toml: no such file"),
    ('"sub"', "sub: a folder"),
    ("3", "expected the path of another configuration file"),
])
def test_a_bad_extend_is_one_line(repo: Path, value: str, why: str) -> None:
    (repo / "svc" / "sub").mkdir(parents=True)
    config = write(repo / "svc" / ".goleaklint.toml", f"ignore = []\nextend = {value}\n")
    code, _, err = run("config", "svc")
    assert code == 2
    assert err == f"goleaklint: error: {config}:2: extend: {why}\n"


def test_a_cycle_is_one_line(repo: Path) -> None:
    write(repo / "a" / ".goleaklint.toml", 'extend = "../b/.goleaklint.toml"\n')
    write(repo / "b" / ".goleaklint.toml", 'extend = "../a/.goleaklint.toml"\n')
    code, _, err = run("config", "a")
    assert code == 2 and "extend: a cycle: " in err and err.count("\n") == 1
