"""GL201's ``openers`` option: other packages' openers named in ``.goleaklint.toml``, how their
values are released, and the one-line errors for entries that name nothing."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from goleaklint.cli import main
from goleaklint.configopeners import parse_call, parse_entry
from goleaklint.ownership import FILE_LIKE, RESPONSE, TX

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "GL201" / "pgxconfig"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("call", "parsed"), [
    ("os.Open", ("os", "", "Open")),
    ("github.com/jackc/pgx/v4.Conn.Query", ("github.com/jackc/pgx/v4", "Conn", "Query")),
    ("github.com/jackc/pgx/v4.Connect", ("github.com/jackc/pgx/v4", "", "Connect")),
    ("gopkg.in/redis.v5.Client.Subscribe", ("gopkg.in/redis.v5", "Client", "Subscribe")),
    ("example.com/db", None),  # no function
    ("example.com/db.open", None),  # not exported
    ("Open", None),  # no import path
    ("example.com/ db.Open", None),
])
def test_call_names_an_import_path_then_a_function_or_a_method(
        call: str, parsed: tuple[str, str, str] | None) -> None:
    assert parse_call(call) == parsed


def test_release_keeps_the_built_in_kinds() -> None:
    for entry, resource in [("os.Open", FILE_LIKE),
                            ({"call": "x.io/a.C.Do", "release": "Body.Close"}, RESPONSE),
                            ({"call": "x.io/a.C.Begin", "release": ["Rollback", "Commit"]}, TX)]:
        parsed = parse_entry(entry)
        assert not isinstance(parsed, str) and parsed.resource is resource
    parsed = parse_entry({"call": "x.io/pool.Pool.Acquire", "release": "Release"})
    assert not isinstance(parsed, str) and parsed.resource.release_methods == {"Release"}


def test_config_file_names_openers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--config`` with openers finds the leaks of the fixture; without it, none."""
    package = tmp_path / "store"
    shutil.copytree(FIXTURE, package)
    config = tmp_path / "leaks.toml"
    shutil.move(package / ".goleaklint.toml", config)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("--select", "GL201", "store")
    # Unconfigured, only the rows used as such (rows.Next() on an untyped conn) are seen.
    assert [line.split(": GL201")[0] for line in out.splitlines()] == ["store/connect.go:18:15"]
    code, out, _ = run("--select", "GL201", "--config", str(config), "store")
    assert code == 1
    assert sorted(line.split(": GL201")[0] for line in out.splitlines()) == [
        "store/connect.go:18:15", "store/connect.go:50:12", "store/store.go:18:15",
        "store/store.go:53:15", "store/store.go:66:12"]
    assert "c from s.pool.Acquire is not released with Release on the path" in out
    shown = json.loads(run("config", "--config", str(config))[1])
    assert shown["rules"]["GL201"]["openers"][1] == "github.com/jackc/pgx/v4/pgxpool.Pool.Query"


@pytest.mark.parametrize(("entry", "why"), [
    ("42", "expected \"import/path.Func\", \"import/path.Type.Method\" or a table "
           "{call = \"…\", release = \"Close\"}"),
    ('"example.com/db"', "'example.com/db': expected \"import/path.Func\" or "
                         "\"import/path.Type.Method\" (exported names after the import path)"),
    ('"example.com/db.open"', "'example.com/db.open': expected \"import/path.Func\" or "
                              "\"import/path.Type.Method\" (exported names after the import "
                              "path)"),
    ('{ call = "example.com/db.DB.Acquire", release = "free" }',
     "'example.com/db.DB.Acquire': release: 'free': expected an exported method name such as "
     "\"Close\" (or \"Field.Method\")"),
    ('{ call = "example.com/db.DB.Acquire", release = [] }',
     "'example.com/db.DB.Acquire': release: expected a method name or a list of them"),
    ('{ call = "example.com/db.DB.Acquire", relase = "Release" }',
     "unknown key 'relase' (known: call, release)"),
    ('{ release = "Release" }',
     "a table needs call = \"import/path.Func\" or \"import/path.Type.Method\""),
])
def test_bad_opener_names_file_line_and_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              entry: str, why: str) -> None:
    (tmp_path / ".goleaklint.toml").write_text(
        '[rules.GL201]\nopeners = [\n  "os.Open",\n  ' + entry + ',\n]\n', encoding="utf-8")
    (tmp_path / "p.go").write_text("package p\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for argv in (["--select", "GL201", "."], ["config"]):
        code, out, err = run(*argv)
        assert (code, out) == (2, "")
        assert err == f"goleaklint: error: {tmp_path / '.goleaklint.toml'}:4: " \
                      f"rules.GL201.openers: {why}\n"


def test_openers_must_be_a_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".goleaklint.toml").write_text('[rules.GL201]\nopeners = "os.Open"\n',
                                               encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, err = run("config")
    assert code == 2 and err.endswith(".goleaklint.toml:2: rules.GL201.openers: expected list\n")
