"""The result cache: each package's result, kept between runs, as ruff's ``.ruff_cache``.

Where: ``$GOLEAKLINT_CACHE_DIR``, or ``.goleaklint_cache`` in the project's root (the folder of
the ``.goleaklint.toml`` nearest to the first PATH, else the current directory). The folder
holds a ``.gitignore`` (``*``), a ``CACHEDIR.TAG`` and one folder per entry format (``v1``)
with one file per package: its key (``goleaklint.cachekey``) as its name, and in it the inputs
the analysis read (``goleaklint.inputs``) and the result (``goleaklint.resultcodec``), behind
a digest of the rest. ``--no-cache`` or ``GOLEAKLINT_NO_CACHE=1`` switch it off; ``goleaklint
clean`` removes it.

Safety: every entry is written to a temporary file in the folder, then renamed over its name,
so that a reader (another run at the same time) sees a whole entry or none; an entry that does
not read back whole and of this format (a crash mid-write, a truncated or edited file) is a
miss. Files are opened relative to the folder, without following symbolic links: an entry that
is a link, or anything but a regular file, is a miss and is left alone, never written through;
a cache folder that is a link, or no folder, is not used (a warning says so). The folder is
bounded: past ``MAX_ENTRIES`` entries or ``MAX_BYTES`` bytes, the least recently used go.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

from . import cachekey, inputs
from .config import Config
from .discover import PackageFiles
from .engine import Result
from .resultcodec import decode_inputs, decode_result, encode_inputs, encode_result
from .rule import Rule

CACHE_DIR_ENV = "GOLEAKLINT_CACHE_DIR"
NO_CACHE_ENV = "GOLEAKLINT_NO_CACHE"
DEFAULT_NAME = ".goleaklint_cache"
VERSION_DIR = f"v{cachekey.FORMAT}"
GITIGNORE = b"# Automatically created by goleaklint.\n*\n"
CACHEDIR_TAG = (b"Signature: 8a477f597d28d172789f06886806bc55\n"
                b"# This file is a cache directory tag created by goleaklint.\n"
                b"# For information about cache directory tags see https://bford.info/cachedir/\n")
MAGIC = b"goleaklint-cache %d " % cachekey.FORMAT
MAX_ENTRIES = 20_000
MAX_BYTES = 512 * 1024 * 1024
MAX_ENTRY_BYTES = 64 * 1024 * 1024  # a file larger than this is no entry of ours
STALE_TEMP_SECONDS = 3600  # a temporary file this old was left by a run that ended mid-write
ENTRY = re.compile(r"^[0-9a-f]{40}\.json$")
TEMP = re.compile(r"^\.tmp\.[0-9]+\.[0-9a-f]+$")
VERSION = re.compile(r"^v[0-9]+$")
# Notices after which a result is not kept: a file that could not be read (it may be readable
# next time), a fault outside the rules (a worker's death, memory).
UNKEPT = frozenset({"read-error", "worker-died", "internal-error"})

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _NOFOLLOW
_NEW_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
# Where files cannot be opened relative to a folder without following links, no cache.
SUPPORTED = hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY") and {
    os.open, os.stat, os.unlink, os.rename, os.mkdir} <= os.supports_dir_fd


class CacheUnavailable(Exception):
    """The cache folder cannot be used; the run goes on without it (its message says why)."""


def disabled_by_environment() -> bool:
    return os.environ.get(NO_CACHE_ENV, "").lower() not in ("", "0", "false", "no")


def cache_folder(start: Path | None) -> Path:
    """The cache folder of a run whose first PATH is ``start`` (None: the current directory)."""
    from .config import ConfigError, find_config

    named = os.environ.get(CACHE_DIR_ENV)
    if named:
        return Path(named)
    here = start if start is not None and os.path.exists(start) else Path.cwd()
    try:
        config = find_config(here)
    except ConfigError:  # (not this run's configuration: --config named another)
        config = None
    return (config.parent if config is not None else Path.cwd()) / DEFAULT_NAME


def _open_dir(name: Path | str, dir_fd: int | None = None) -> int:
    """A descriptor of the folder ``name``, never through a symbolic link; an ``OSError``
    whose ``strerror`` says what is there instead."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        with suppress(OSError):
            mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
            if stat.S_ISLNK(mode):
                exc.strerror = "a symbolic link"
            elif not stat.S_ISDIR(mode):
                exc.strerror = "not a folder"
        raise


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _create(dir_fd: int, name: str, data: bytes) -> None:
    """A new file ``name`` in the folder, unless something is there already."""
    try:
        fd = os.open(name, _NEW_FLAGS, 0o666, dir_fd=dir_fd)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _open_folder(path: Path) -> tuple[int, int]:
    """File descriptors of the cache folder and of its entry folder, made when missing."""
    if not SUPPORTED:
        raise CacheUnavailable("not supported on this platform")
    try:
        if not os.path.lexists(path):
            os.makedirs(path, exist_ok=True)
        top = _open_dir(path)
    except OSError as exc:
        raise CacheUnavailable(f"{path}: {_why(exc)}") from None
    try:
        with os.scandir(top) as it:
            present = {entry.name for entry in it}
        # The markers go in a folder of goleaklint's (or an empty one), never in one of yours
        # that GOLEAKLINT_CACHE_DIR names: a CACHEDIR.TAG there would hide it from backups.
        if not present or present & {VERSION_DIR, ".gitignore", "CACHEDIR.TAG"}:
            _create(top, ".gitignore", GITIGNORE)
            _create(top, "CACHEDIR.TAG", CACHEDIR_TAG)
        with suppress(FileExistsError):
            os.mkdir(VERSION_DIR, dir_fd=top)
        entries = _open_dir(VERSION_DIR, dir_fd=top)
    except OSError as exc:
        os.close(top)
        raise CacheUnavailable(f"{path}: {_why(exc)}") from None
    return top, entries


def _pack(key: str, items: list[inputs.Input], result: Result) -> bytes:
    body = json.dumps({"key": key, "inputs": encode_inputs(items),
                       "result": encode_result(result)},
                      ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return MAGIC + hashlib.blake2b(body, digest_size=20).hexdigest().encode() + b"\n" + body


def _unpack(key: str, data: bytes) -> tuple[list[inputs.Input], object]:
    """The inputs and the (still encoded) result of an entry; ValueError if it is not whole."""
    head, newline, body = data.partition(b"\n")
    if not newline or not head.startswith(MAGIC) or head[len(MAGIC):] != (
        hashlib.blake2b(body, digest_size=20).hexdigest().encode()
    ):
        raise ValueError("not a whole entry of this format")
    value = json.loads(body)
    if not isinstance(value, dict) or value.get("key") != key:
        raise ValueError("another key's entry")
    return decode_inputs(value["inputs"]), value["result"]


class ResultCache:
    """The cache folder of one run; ``lookup`` and ``store`` a package's result, ``close``."""

    def __init__(self, path: Path, catalog: list[type[Rule]]) -> None:
        self.path = path
        self.warnings: list[str] = []  # problems met, said once each at the end of the run
        self.hits = self.misses = 0
        self._top, self._fd = _open_folder(path)
        identity = cachekey.catalog_identity(catalog)
        self._run = None if identity is None else cachekey.tool_identity() + identity
        self._stored = False
        self._checked: dict[inputs.Input, tuple[bool, inputs.Input]] = {}
        self._configs: dict[tuple[int, tuple[str, ...]], list[object]] = {}

    # Lookups ----------------------------------------------------------------------------------

    def key(self, pf: PackageFiles, rules: list[type[Rule]], config: Config) -> str | None:
        """The name of ``pf``'s entry (None: its result cannot be cached)."""
        package = cachekey.package_identity(pf)
        if self._run is None or package is None:
            return None
        asked = (id(config), tuple(rule.id for rule in rules))  # (the run holds both)
        if asked not in self._configs:
            self._configs[asked] = cachekey.config_identity(config, rules)
        return cachekey.entry_key(self._run, self._configs[asked], package)

    def lookup(self, key: str) -> Result | None:
        """The stored result of the entry ``key``, if its inputs are unchanged."""
        data = self._read(key + ".json")
        if data is None:
            self.misses += 1
            return None
        try:
            items, encoded = _unpack(key, data)
            checked = [self._holds(item) for item in items]
            if not all(ok for ok, _ in checked):
                self.misses += 1
                return None
            result = decode_result(encoded)
        except Exception:  # (ValueError, KeyError, TypeError, RecursionError…): not ours
            self.misses += 1
            return None
        fresh = [item for _, item in checked]
        if fresh != items:  # touched files, same content: their new identities, for next time
            self._write(key, fresh, result)
        self.hits += 1
        return result

    def _holds(self, item: inputs.Input) -> tuple[bool, inputs.Input]:
        """``inputs.still_holds``, asked once per run of an input several packages share."""
        answer = self._checked.get(item)
        if answer is None:
            answer = self._checked[item] = inputs.still_holds(item)
        return answer

    def _read(self, name: str) -> bytes | None:
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=self._fd)
        except OSError:  # absent, a link (ELOOP), no permission: a miss
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_ENTRY_BYTES:
                return None
            with suppress(OSError):
                os.utime(fd)  # recently used: the last to be evicted
            chunks = []
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        except OSError:
            return None
        finally:
            os.close(fd)

    # Stores -----------------------------------------------------------------------------------

    def store(self, key: str, result: Result) -> None:
        """Keep ``result`` (a package's, with the inputs its analysis recorded) as ``key``."""
        if result.inputs is None or any(n.kind in UNKEPT for n in result.notices):
            return
        self._write(key, result.inputs, result)

    def _write(self, key: str, items: list[inputs.Input], result: Result) -> None:
        name = key + ".json"
        try:
            current = os.stat(name, dir_fd=self._fd, follow_symlinks=False)
            if not stat.S_ISREG(current.st_mode):
                return  # a link or anything else in an entry's place: left alone
        except FileNotFoundError:
            pass
        except OSError as exc:
            self._warn(exc)
            return
        temp = f".tmp.{os.getpid()}.{secrets.token_hex(8)}"
        try:
            fd = os.open(temp, _NEW_FLAGS, 0o666, dir_fd=self._fd)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(_pack(key, items, result))
                os.replace(temp, name, src_dir_fd=self._fd, dst_dir_fd=self._fd)
            except BaseException:
                with suppress(OSError):
                    os.unlink(temp, dir_fd=self._fd)
                raise
        except OSError as exc:
            self._warn(exc)
            return
        self._stored = True

    def _warn(self, exc: OSError) -> None:
        warning = f"cache: {self.path}: cannot write ({exc.strerror or exc}); results not kept"
        if warning not in self.warnings:
            self.warnings.append(warning)

    # The end of a run -------------------------------------------------------------------------

    def close(self) -> None:
        """Evict what is over the bounds (when this run stored anything), then let go."""
        try:
            if self._stored:
                evict(self._fd)
        finally:
            os.close(self._fd)
            os.close(self._top)


def _entries(fd: int) -> Iterator[tuple[str, os.stat_result]]:
    """The regular files of an entry folder (its descriptor) with their status."""
    with os.scandir(fd) as it:
        for entry in it:
            with suppress(OSError):
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode):
                    yield entry.name, st


def evict(fd: int, max_entries: int | None = None, max_bytes: int | None = None) -> int:
    """Remove the least recently used entries past the bounds (down to nine tenths of them)
    and temporary files left by runs that ended mid-write; the number of files removed."""
    max_entries = MAX_ENTRIES if max_entries is None else max_entries
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    now = time.time()
    found, removed = [], 0
    for name, st in _entries(fd):
        if ENTRY.match(name):
            found.append((st.st_mtime_ns, name, st.st_size))
        elif TEMP.match(name) and st.st_mtime < now - STALE_TEMP_SECONDS:
            with suppress(OSError):
                os.unlink(name, dir_fd=fd)
                removed += 1
    total = sum(size for _, _, size in found)
    if len(found) <= max_entries and total <= max_bytes:
        return removed
    found.sort()
    count = len(found)
    for _, name, size in found:
        if count <= max_entries * 9 // 10 and total <= max_bytes * 9 // 10:
            break
        with suppress(OSError):
            os.unlink(name, dir_fd=fd)
            removed += 1
        count, total = count - 1, total - size
    return removed


def clean(path: Path) -> tuple[int, list[str]]:
    """Remove the cache at ``path``: the files goleaklint made there, then the folders they
    leave empty. The number of entries removed, and what was left (not goleaklint's)."""
    try:
        top = _open_dir(path)
    except FileNotFoundError:
        return 0, []
    except OSError as exc:
        raise CacheUnavailable(f"{path}: {_why(exc)}") from None
    removed, left = 0, []
    try:
        with os.scandir(top) as it:
            names = sorted(e.name for e in it)
        for name in names:
            st = os.stat(name, dir_fd=top, follow_symlinks=False)
            if VERSION.match(name) and stat.S_ISDIR(st.st_mode):
                fd = _open_dir(name, dir_fd=top)
                try:
                    for entry, _ in list(_entries(fd)):
                        if ENTRY.match(entry) or TEMP.match(entry):
                            os.unlink(entry, dir_fd=fd)
                            removed += ENTRY.match(entry) is not None
                finally:
                    os.close(fd)
                try:
                    os.rmdir(name, dir_fd=top)
                except OSError:
                    left.append(name)
            elif name in (".gitignore", "CACHEDIR.TAG") and stat.S_ISREG(st.st_mode):
                os.unlink(name, dir_fd=top)
            else:
                left.append(name)
    finally:
        os.close(top)
    if not left:
        with suppress(OSError):
            os.rmdir(path)
    return removed, left
