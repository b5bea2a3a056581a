#!/usr/bin/env python3
"""Download the peers' test files that ``sources.tsv`` lists into ``suites/`` beside this script.

    python3 fetch.py [--suites DIR] [--sources TSV]

Each row (dest, repo, path, commit) is fetched from
``https://raw.githubusercontent.com/<repo>/<commit>/<path>`` into ``DIR/<dest>``. A failure is
reported on one line and the other files are still fetched; the exit status is 1 if any failed.

Nothing is replaced that this script did not write: a destination (or a folder on its way)
that is a symbolic link, a folder, a device or a FIFO, or a regular file whose content is not
what an earlier run wrote there (``.fetched.tsv`` records each file's SHA-256), is left alone
and reported as a failure.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import stat
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources.tsv"
SUITES = HERE / "suites"
MANIFEST = ".fetched.tsv"
RAW = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"

# Files of the measurement's own, not the peers': SA1015 is a pre-Go-1.23 check, so the
# staticcheck folder is a module of Go 1.19 (GL203 then applies as in staticcheck's setting).
LOCAL = {"staticcheck/go.mod": b"module example.com/peers/staticcheck\n\ngo 1.19\n"}


class FetchError(Exception):
    """One file that could not be fetched or written (the message is its one line)."""


def read_sources(tsv: Path) -> list[tuple[str, str, str, str]]:
    """The rows (dest, repo, path, commit) of ``tsv``, after its header line."""
    rows = []
    lines = tsv.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 4 or not all(fields):
            raise FetchError(f"{tsv}:{n}: expected 4 tab-separated fields (dest repo path commit)")
        rows.append((fields[0], fields[1], fields[2], fields[3]))
    return rows


def download(url: str) -> bytes:
    """The body of ``url`` (the one place that touches the network)."""
    with urllib.request.urlopen(url, timeout=60) as response:
        data: bytes = response.read()
        return data


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(root: Path) -> dict[str, str]:
    """dest -> SHA-256 of what an earlier run wrote there."""
    path = root / MANIFEST
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise FetchError(f"{path}: not a regular file; remove it")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    return dict(line.split("\t", 1) for line in text.splitlines() if "\t" in line)


def target(root: Path, dest: str) -> Path:
    """``root/dest``, with its folders made; refused if ``dest`` leaves ``root`` or a folder on
    the way is anything but a real folder (a symbolic link is not followed)."""
    rel = PurePosixPath(dest)
    if rel.is_absolute() or not rel.parts or any(p in ("", ".", "..") for p in rel.parts):
        raise FetchError(f"{dest}: not a plain relative path")
    folder = root
    for part in rel.parts[:-1]:
        folder = folder / part
        try:
            mode = os.lstat(folder).st_mode
        except FileNotFoundError:
            folder.mkdir()
            continue
        if not stat.S_ISDIR(mode):
            raise FetchError(f"{folder}: not a folder (a link or a file); left alone")
    return root.joinpath(*rel.parts)


def write(root: Path, dest: str, data: bytes, manifest: dict[str, str]) -> None:
    """Write ``data`` at ``root/dest`` unless something other than our earlier file is there."""
    path = target(root, dest)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        pass
    else:
        if not stat.S_ISREG(st.st_mode):
            raise FetchError(f"{path}: exists and is not a regular file; left alone")
        if manifest.get(dest) != digest(path.read_bytes()):
            raise FetchError(f"{path}: exists and was not written by fetch.py; left alone")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".fetch-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    manifest[dest] = digest(data)


def save_manifest(root: Path, manifest: dict[str, str]) -> None:
    path = root / MANIFEST
    if os.path.lexists(path) and not stat.S_ISREG(os.lstat(path).st_mode):
        raise FetchError(f"{path}: not a regular file; remove it")
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".fetch-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.writelines(f"{dest}\t{sha}\n" for dest, sha in sorted(manifest.items()))
    os.replace(tmp, path)


def fetch(root: Path, sources: Path) -> int:
    """Fetch every row of ``sources`` into ``root``; the number of failures."""
    rows = read_sources(sources)
    if os.path.lexists(root) and not stat.S_ISDIR(os.lstat(root).st_mode):
        raise FetchError(f"{root}: not a folder (a link or a file); left alone")
    root.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(root)
    failures = 0
    try:
        for dest, repo, path, commit in rows:
            url = RAW.format(repo=repo, commit=commit, path=path)
            try:
                data = download(url)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                print(f"fetch.py: error: {dest}: {url}: {exc}", file=sys.stderr)
                failures += 1
                continue
            try:
                write(root, dest, data, manifest)
            except (FetchError, OSError) as exc:
                print(f"fetch.py: error: {exc}", file=sys.stderr)
                failures += 1
        for dest, data in LOCAL.items():
            try:
                write(root, dest, data, manifest)
            except (FetchError, OSError) as exc:
                print(f"fetch.py: error: {exc}", file=sys.stderr)
                failures += 1
    finally:
        save_manifest(root, manifest)
    return failures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--suites", type=Path, default=SUITES, help="where to put the files")
    ap.add_argument("--sources", type=Path, default=SOURCES, help="the list of files")
    a = ap.parse_args(argv)
    try:
        failures = fetch(a.suites, a.sources)
    except (FetchError, OSError) as exc:
        print(f"fetch.py: error: {exc}", file=sys.stderr)
        return 2
    if failures:
        print(f"fetch.py: {failures} file(s) not fetched", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
