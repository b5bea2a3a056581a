""".goleaklint.toml settings end to end: exclude globs relative to the file's folder,
``--force-exclude`` for named files (what pre-commit passes), and ``go-version``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from goleaklint.cli import main

LEAK = """package pkg

var cache = map[string]int{}

func Add(k string) {
	cache[k] = 1
}
"""
POLL = """package poll

import "time"

func Poll(stop <-chan struct{}, f func()) {
	t := time.NewTicker(time.Second)
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			f()
		case <-time.After(time.Minute):
			f()
		}
	}
}
"""


def write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def reported(out: str) -> list[str]:
    return sorted({line.split(":", 1)[0] for line in out.splitlines()})


@pytest.fixture
def monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A service folder with its own .goleaklint.toml excluding ``legacy/**`` and
    ``**/*_mock.go``; a ``legacy`` folder outside the service is not covered by it."""
    write(tmp_path / "svc" / ".goleaklint.toml",
          'exclude = ["legacy/**", "**/*_mock.go"]\n')
    write(tmp_path / "svc" / "api" / "api.go", LEAK)
    write(tmp_path / "svc" / "api" / "store_mock.go", LEAK.replace("cache", "mocked"))
    write(tmp_path / "svc" / "legacy" / "old" / "old.go", LEAK)
    write(tmp_path / "legacy" / "top.go", LEAK)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_exclude_globs_are_relative_to_the_config_folder(monorepo: Path) -> None:
    code, out, _ = run("svc")
    assert code == 1
    assert reported(out) == ["svc/api/api.go"]


def test_exclude_globs_do_not_depend_on_the_current_directory(
    monorepo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(monorepo / "svc" / "api")
    _, out, _ = run("..")
    assert reported(out) == ["api.go"]
    monkeypatch.chdir(monorepo / "svc")
    _, out, _ = run(".")
    assert reported(out) == ["api/api.go"]


def test_config_of_another_folder_excludes_nothing_here(monorepo: Path) -> None:
    _, out, _ = run("legacy")
    assert reported(out) == ["legacy/top.go"]  # legacy/** is svc's, not the repository's


def test_named_files_ignore_excludes_unless_forced(monorepo: Path) -> None:
    named = ["svc/legacy/old/old.go", "svc/api/store_mock.go", "svc/api/api.go"]
    code, out, _ = run(*named)
    assert code == 1
    assert reported(out) == sorted(named)
    code, out, _ = run("--force-exclude", *named)
    assert code == 1
    assert reported(out) == ["svc/api/api.go"]
    assert run("--force-exclude", "svc/legacy/old/old.go", "svc/api/store_mock.go") == (0, "", "")


def test_force_exclude_still_reads_excluded_siblings(monorepo: Path) -> None:
    """An excluded file is not reported, but still gives its package context."""
    write(monorepo / "svc" / "api" / "evict_mock.go",
          "package pkg\n\nfunc Evict(k string) { delete(cache, k) }\n")
    assert run("--force-exclude", "svc/api/api.go") == (0, "", "")


@pytest.mark.parametrize(("setting", "expected"), [
    (None, ["GL203", "GL205"]),           # go.mod says 1.22
    ('go-version = "1.22"', ["GL203", "GL205"]),
    ('go-version = "1.23"', []),          # unreferenced tickers and timers are collected
    ('go-version = "1.23.4"', []),
])
def test_go_version_overrides_go_mod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     setting: str | None, expected: list[str]) -> None:
    write(tmp_path / "go.mod", "module example.com/m\n\ngo 1.22\n")
    write(tmp_path / "poll" / "poll.go", POLL)
    if setting is not None:
        write(tmp_path / ".goleaklint.toml", setting + "\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("poll")
    assert sorted(line.split()[1] for line in out.splitlines()) == expected
    assert code == (1 if expected else 0)
    _, shown, _ = run("config", "poll")
    version = setting.split('"')[1][:4] if setting else "1.22"
    source = tmp_path / (".goleaklint.toml" if setting else "go.mod")
    assert json.loads(shown)["go-version"] == version
    assert json.loads(shown)["go-version-from"] == str(source.resolve())


@pytest.mark.parametrize(("setting", "expected"), [
    (None, ["GL203", "GL205"]),           # no go.mod: pre-modules code, older than Go 1.23
    ('go-version = "1.23"', []),          # the setting still overrides
])
def test_code_without_go_mod_is_older_than_go_1_23(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str | None,
        expected: list[str]) -> None:
    write(tmp_path / "poll" / "poll.go", POLL)
    if setting is not None:
        write(tmp_path / ".goleaklint.toml", setting + "\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("poll")
    assert sorted(line.split()[1] for line in out.splitlines()) == expected
    assert code == (1 if expected else 0)


def test_bad_go_version_names_file_line_and_key(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / ".goleaklint.toml", '# pinned\ngo-version = "1.x"\n')
    write(tmp_path / "poll" / "poll.go", POLL)
    monkeypatch.chdir(tmp_path)
    code, out, err = run("poll")
    assert (code, out) == (2, "")
    assert err.startswith("goleaklint: error: ") and err.count("\n") == 1
    assert err.endswith('.goleaklint.toml:2: go-version: expected a Go version such as "1.22"\n')


@pytest.mark.parametrize("value", ["-5", "0"])
def test_numeric_rule_option_must_be_positive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              value: str) -> None:
    write(tmp_path / ".goleaklint.toml", f"[rules.GL401]\nlarge-size = {value}\n")
    write(tmp_path / "pkg" / "leak.go", LEAK)
    monkeypatch.chdir(tmp_path)
    for argv in (["pkg"], ["config"]):
        code, out, err = run(*argv)
        assert (code, out) == (2, "")
        assert err.startswith("goleaklint: error: ") and err.count("\n") == 1
        assert err.endswith(".goleaklint.toml:2: rules.GL401.large-size: expected a positive "
                            f"number, found {value}\n")
    write(tmp_path / ".goleaklint.toml", "[rules.GL401]\nlarge-size = 1\n")
    assert json.loads(run("config")[1])["rules"]["GL401"]["large-size"] == 1


def test_exclude_glob_starting_with_dot_slash_is_normalised(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / ".goleaklint.toml", 'exclude = ["./gen/**", "./api/./store_mock.go"]\n')
    write(tmp_path / "gen" / "gen.go", LEAK)
    write(tmp_path / "api" / "api.go", LEAK)
    write(tmp_path / "api" / "store_mock.go", LEAK.replace("cache", "mocked"))
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(".")
    assert (code, reported(out)) == (1, ["api/api.go"])
    assert json.loads(run("config")[1])["exclude"] == ["gen/**", "api/store_mock.go"]


@pytest.mark.parametrize(("pattern", "why"), [
    ("/gen/**", "absolute: patterns are relative to the folder of the configuration file "
                "(write 'gen/**')"),
    ("[abc", "unbalanced '[' (write '[[]' for a literal '[')"),
    ("gen/[!x", "unbalanced '[' (write '[[]' for a literal '[')"),
    ("../gen/**", "a pattern cannot reach above the folder of the configuration file"),
    ("", "the pattern names no file (write '**' to exclude everything)"),
])
def test_exclude_glob_that_cannot_match_is_an_error(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    pattern: str, why: str) -> None:
    write(tmp_path / ".goleaklint.toml", f'exclude = [\n  "gen/**",\n  "{pattern}",\n]\n')
    write(tmp_path / "pkg" / "leak.go", LEAK)
    monkeypatch.chdir(tmp_path)
    line = 3 if pattern else 1  # the pattern's own line when it can be told
    for argv in (["pkg"], ["config"]):
        code, out, err = run(*argv)
        assert (code, out) == (2, "")
        assert err.startswith("goleaklint: error: ") and err.count("\n") == 1
        assert err.endswith(f".goleaklint.toml:{line}: exclude: {pattern!r}: {why}\n")


def test_config_shows_the_go_version_of_go_mod_and_where_it_came_from(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "mod" / "go.mod", "module example.com/m\n\ngo 1.23\n")
    write(tmp_path / "mod" / "poll" / "poll.go", POLL)
    write(tmp_path / "loose" / "poll.go", POLL)
    monkeypatch.chdir(tmp_path)

    def shown(*argv: str) -> tuple[str | None, str]:
        code, out, err = run("config", *argv)
        assert (code, err) == (0, "")
        data = json.loads(out)
        return data["go-version"], data["go-version-from"]

    gomod = str((tmp_path / "mod" / "go.mod").resolve())
    assert shown("mod/poll") == ("1.23", gomod)
    assert shown("mod/poll/poll.go") == ("1.23", gomod)
    monkeypatch.chdir(tmp_path / "mod" / "poll")
    assert shown() == ("1.23", gomod)
    monkeypatch.chdir(tmp_path)
    # No go.mod above: GOPATH-era code, older than modules (and than Go 1.23).
    assert shown("loose") == ("1.10", "no go.mod: pre-modules (GOPATH) code, older than Go 1.23")
    write(tmp_path / "bare" / "go.mod", "module example.com/bare\n")
    write(tmp_path / "bare" / "poll.go", POLL)
    assert shown("bare") == (None, "default")  # a go.mod without a go line


def test_config_that_is_a_folder_is_an_error(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / ".goleaklint.toml", 'ignore = ["GL1"]\n')  # not what applies below
    write(tmp_path / "svc" / "pkg" / "leak.go", LEAK)
    (tmp_path / "svc" / ".goleaklint.toml").mkdir()
    monkeypatch.chdir(tmp_path)
    expected = f"{(tmp_path / 'svc' / '.goleaklint.toml').resolve()}: a folder, not a " \
               "configuration file"
    for argv in (["svc/pkg"], ["config", "svc/pkg"]):
        assert run(*argv) == (2, "", f"goleaklint: error: {expected}\n")
    assert run("--config", "svc/.goleaklint.toml", "svc") == (
        2, "", "goleaklint: error: --config: svc/.goleaklint.toml: a folder, not a "
        "configuration file\n")


def test_config_that_is_a_dangling_link_is_an_error(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pkg" / "leak.go", LEAK)
    (tmp_path / ".goleaklint.toml").symlink_to("shared/goleaklint.toml")
    monkeypatch.chdir(tmp_path)
    code, out, err = run("pkg")
    assert (code, out) == (2, "")
    assert err == (f"goleaklint: error: {tmp_path.resolve() / '.goleaklint.toml'}: cannot read "
                   "(a dangling symbolic link)\n")


def test_go_mod_that_cannot_be_read_is_a_warning(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A dangling link: unreadable even by root (the tests' user, whom chmod does not stop)."""
    write(tmp_path / "outer" / "go.mod", "module example.com/outer\n\ngo 1.22\n")
    write(tmp_path / "outer" / "inner" / "poll" / "poll.go", POLL)
    (tmp_path / "outer" / "inner" / "go.mod").symlink_to("../../elsewhere/go.mod")
    monkeypatch.chdir(tmp_path / "outer")
    warning = ("goleaklint: warning: inner/go.mod: cannot read (No such file or directory); "
               "the packages below it are analysed without its go version")
    _, _, err = run("inner")
    assert warning in err.splitlines()
    code, out, err = run("config", "inner/poll")
    assert (code, err) == (0, warning + "\n")
    shown = json.loads(out)
    assert (shown["go-version"], shown["go-version-from"]) == (None, "default")  # not outer's


def test_go_mod_without_read_permission_is_a_warning(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root, where chmod 000 does not stop reading: the refusal is simulated."""
    write(tmp_path / "go.mod", "module example.com/m\n\ngo 1.22\n")
    write(tmp_path / "pkg" / "leak.go", LEAK)
    real = Path.read_text

    def read_text(self: Path, *args, **kwargs) -> str:
        if self.name == "go.mod":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    monkeypatch.chdir(tmp_path)
    code, out, err = run("pkg")
    assert code == 1 and reported(out) == ["pkg/leak.go"]
    assert err.splitlines()[0] == ("goleaklint: warning: go.mod: cannot read (Permission "
                                   "denied); the packages below it are analysed without its go "
                                   "version")
