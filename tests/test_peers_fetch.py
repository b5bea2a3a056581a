"""bench/peers/fetch.py, offline: files land at suites/<dest>, and nothing it did not write is
replaced (its download function is replaced by a table of bodies; no network is used)."""

from __future__ import annotations

import importlib.util
import sys
import urllib.error
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "peers" / "fetch.py"
_spec = importlib.util.spec_from_file_location("peers_fetch", SCRIPT)
assert _spec and _spec.loader
fetch = importlib.util.module_from_spec(_spec)
sys.modules["peers_fetch"] = fetch
_spec.loader.exec_module(fetch)

ROWS = [
    ("bodyclose/a/a.go", "timakin/bodyclose", "passes/bodyclose/testdata/src/a/a.go", "c1"),
    ("goker/grpc660.go", "golang/go", "src/runtime/testdata/grpc660.go", "c2"),
]


def _url(repo: str, path: str, commit: str) -> str:
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"


@pytest.fixture()
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """URL -> body; a URL not in the table fails as a 404 would."""
    bodies = {_url(r, p, c): f"package {d.split('/')[0]}\n".encode() for d, r, p, c in ROWS}

    def download(url: str) -> bytes:
        if url not in bodies:
            raise urllib.error.HTTPError(url, 404, "Not Found", None, None)  # type: ignore[arg-type]
        return bodies[url]

    monkeypatch.setattr(fetch, "download", download)
    return bodies


def _sources(tmp_path: Path, rows: list[tuple[str, str, str, str]] = ROWS) -> Path:
    tsv = tmp_path / "sources.tsv"
    lines = ["dest\trepo\tpath\tcommit", *("\t".join(r) for r in rows)]
    tsv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tsv


def test_each_file_lands_at_its_dest_from_its_repo_commit_and_path(
    tmp_path: Path, served: dict[str, bytes]
) -> None:
    suites = tmp_path / "suites"
    assert fetch.main(["--suites", str(suites), "--sources", str(_sources(tmp_path))]) == 0
    assert (suites / "bodyclose/a/a.go").read_bytes() == b"package bodyclose\n"
    assert (suites / "goker/grpc660.go").read_bytes() == b"package goker\n"
    assert (suites / "staticcheck/go.mod").read_bytes() == fetch.LOCAL["staticcheck/go.mod"]
    # A second run replaces the files it wrote itself.
    assert fetch.main(["--suites", str(suites), "--sources", str(_sources(tmp_path))]) == 0


def test_a_symlink_at_a_destination_is_neither_followed_nor_replaced(
    tmp_path: Path, served: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    suites = tmp_path / "suites"
    outside = tmp_path / "outside.go"
    outside.write_text("mine\n", encoding="utf-8")
    (suites / "bodyclose/a").mkdir(parents=True)
    link = suites / "bodyclose/a/a.go"
    link.symlink_to(outside)
    assert fetch.main(["--suites", str(suites), "--sources", str(_sources(tmp_path))]) == 1
    assert link.is_symlink() and outside.read_text(encoding="utf-8") == "mine\n"
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"fetch.py: error: {link}: exists and is not a regular file; left alone"
    assert (suites / "goker/grpc660.go").read_bytes() == b"package goker\n"  # the rest is fetched


def test_a_symlinked_folder_on_the_way_is_not_followed(
    tmp_path: Path, served: dict[str, bytes]
) -> None:
    suites = tmp_path / "suites"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    suites.mkdir()
    (suites / "goker").symlink_to(elsewhere, target_is_directory=True)
    assert fetch.main(["--suites", str(suites), "--sources", str(_sources(tmp_path))]) == 1
    assert list(elsewhere.iterdir()) == []
    assert (suites / "bodyclose/a/a.go").is_file()


def test_a_regular_file_it_did_not_write_is_left_alone(
    tmp_path: Path, served: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    suites = tmp_path / "suites"
    assert fetch.main(["--suites", str(suites), "--sources", str(_sources(tmp_path))]) == 0
    mine = suites / "goker/grpc660.go"
    mine.write_text("edited by hand\n", encoding="utf-8")
    assert fetch.main(["--suites", str(suites), "--sources", str(_sources(tmp_path))]) == 1
    assert mine.read_text(encoding="utf-8") == "edited by hand\n"
    assert "was not written by fetch.py" in capsys.readouterr().err


def test_a_failed_download_is_one_line_and_the_others_are_fetched(
    tmp_path: Path, served: dict[str, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [*ROWS, ("goker/gone.go", "golang/go", "src/gone.go", "c3")]
    suites = tmp_path / "suites"
    assert fetch.main(["--suites", str(suites), "--sources", str(_sources(tmp_path, rows))]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("fetch.py: error: goker/gone.go: ")
    assert "HTTP Error 404" in err[0]
    assert err[1] == "fetch.py: 1 file(s) not fetched"
    assert not (suites / "goker/gone.go").exists()
    assert (suites / "bodyclose/a/a.go").is_file()


@pytest.mark.parametrize("dest", ["../escape.go", "/abs.go", "a/../../escape.go"])
def test_a_dest_outside_the_suites_folder_is_refused(
    tmp_path: Path, served: dict[str, bytes], dest: str
) -> None:
    tsv = _sources(tmp_path, [(dest, *ROWS[0][1:])])
    assert fetch.main(["--suites", str(tmp_path / "suites"), "--sources", str(tsv)]) == 1
    assert not (tmp_path / "escape.go").exists() and not Path("/abs.go").exists()


def test_the_sources_list_names_every_file_the_measurement_reads() -> None:
    rows = fetch.read_sources(fetch.SOURCES)
    dests = [d for d, _, _, _ in rows]
    assert len(dests) == len(set(dests))
    folders = {d.split("/", 1)[0] for d in dests} | {d.split("/", 1)[0] for d in fetch.LOCAL}
    assert folders == {"lostcancel", "bodyclose", "sqlclosecheck", "staticcheck", "gocritic",
                       "runtime", "goker"}
