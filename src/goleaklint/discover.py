"""From command-line paths to Go packages: walking, skipping, go.mod lookup and grouping."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .paths import display_path
from .regularfiles import open_regular, read_regular

SKIPPED_DIRS = frozenset({"vendor", "testdata", "node_modules"})
GENERATED = re.compile(rb"^// Code generated .* DO NOT EDIT\.\r?$", re.MULTILINE)
PACKAGE_NAME = re.compile(r"[^\W\d]\w*")  # a Go identifier (Unicode letters allowed)
GO_DIRECTIVE = re.compile(r"^[ \t]*go(?:[ \t]+([^\n]*?))?[ \t]*(?://[^\n]*)?\r?$", re.MULTILINE)
# 1.22, 1.22.0, 1.22rc1 (cmd/go's format), optionally quoted.
GO_VERSION = re.compile(r'^"?(\d+)\.(\d+)(?:\.\d+)?(?:(?:rc|beta)\d+)?"?$')
BINARY_PROBE = 8192  # a NUL byte in a file's first 8 KiB makes it binary (git's heuristic)
MODULE_DIRECTIVE = re.compile(r"^\s*module\s+\"?([^\s\"]+)", re.MULTILINE)
# Go 1.10, the last release before modules (1.11): the version assumed for code with no go.mod
# above it (GOPATH-era code), so the rules about older runtimes (GL203/GL205) apply to it.
PRE_MODULES = (1, 10)
PRE_MODULES_FROM = "no go.mod: pre-modules (GOPATH) code, older than Go 1.23"


class DiscoveryError(Exception):
    """A command-line path that cannot be analysed (reported as a usage error)."""


@dataclass(frozen=True)
class Module:
    """What the nearest go.mod says: module path and ``go`` directive (None when absent).

    ``error`` names the file and line of a ``go`` directive that is not a Go version;
    ``warning`` says that the go.mod could not be read (as if it had no ``go`` directive).
    """

    path: str | None
    go_version: tuple[int, int] | None
    gomod: Path | None
    error: str = ""
    warning: str = ""


@dataclass
class SourceFile:
    """A Go file and whether its findings are reported (siblings are read for context only).

    Discovery reads only a file's head (its package clause); ``source`` is None then, and the
    process that analyses the package reads the whole file (``read``), so that a tree of any
    size streams through and no file's bytes cross between processes.
    """

    path: Path
    source: bytes | None
    reported: bool
    generated: bool = False
    size: int = 0  # bytes, when discovered: the scheduler starts the biggest packages first

    @property
    def is_test(self) -> bool:
        return self.path.name.endswith("_test.go")

    def read(self) -> bytes:
        """The file's bytes (``source`` when given); OSError when it cannot be read now."""
        return self.source if self.source is not None else read_regular(self.path)[0]


@dataclass
class PackageFiles:
    """The files of one Go package: one folder and one ``package`` clause."""

    directory: Path
    name: str
    module: Module
    files: list[SourceFile] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.directory), self.name)

    @property
    def size(self) -> int:
        """The bytes of its files, as discovered."""
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class Skipped:
    """A path discovery could not take (or a go.mod it could not read): ``kind`` is
    ``read-error`` (unreadable, dangling, a link loop), ``symlink-loop`` (a link to a folder
    that contains it), ``already-analysed`` (a folder reached twice), ``binary-file`` or
    ``no-package-clause``; ``str()`` is the warning printed for it."""

    path: Path
    kind: str
    reason: str

    def __str__(self) -> str:
        return f"{display_path(self.path)}: {self.reason}"


def _unreadable(path: Path, exc: OSError, what: str = "") -> Skipped:
    return Skipped(path, "read-error", f"cannot read{what} ({exc.strerror or exc})")


@dataclass
class Discovery:
    """The packages found, and the paths that could not be taken (with the reason)."""

    packages: list[PackageFiles]
    warnings: list[Skipped]


def is_generated(source: bytes) -> bool:
    """True for files carrying Go's ``// Code generated … DO NOT EDIT.`` marker.

    As in Go (``go/ast.IsGenerated``), the marker counts only in the comments before the
    package clause: a generator's template string later in the file does not make it generated.
    """
    header_end = _first_token(source)
    end = len(source) if header_end is None else header_end
    return GENERATED.search(source, 0, end) is not None


# Blanks and comments, in one match (a ``/*`` left over after it is an unclosed comment).
_BLANKS = re.compile(rb"(?:[ \t\r\n]+|//[^\n]*\n?|/\*.*?\*/)*", re.DOTALL)


def _skip_blank(source: bytes, i: int) -> int | None:
    """The offset of the first token at or after ``i`` (None inside an unclosed comment)."""
    match = _BLANKS.match(source, i)
    end = match.end() if match is not None else i
    return None if source.startswith(b"/*", end) else end


def _first_token(source: bytes) -> int | None:
    """The offset of a file's first token, after a byte order mark, blanks and comments."""
    return _skip_blank(source, 3 if source.startswith(b"\xef\xbb\xbf") else 0)


HEAD_BYTES = 16384  # a first read; more only for a longer header (cmd/go's alldocs.go)


def read_head(path: Path) -> tuple[bytes, int]:
    """The first bytes of a file, enough for ``package_name``, ``is_generated`` and the binary
    probe (at least ``BINARY_PROBE`` bytes or the whole file), and the file's size."""
    fd = open_regular(path)  # (no buffered file: cheaper)
    try:
        size = os.fstat(fd).st_size
        head = _read_up_to(fd, HEAD_BYTES)
        while True:
            chunk_wanted = len(head)
            if _header_complete(head):
                return head, max(size, len(head))
            more = _read_up_to(fd, chunk_wanted)  # the header is longer: double what was read
            if not more:
                return head, max(size, len(head))
            head += more
    finally:
        os.close(fd)


def _read_up_to(fd: int, n: int) -> bytes:
    """``n`` bytes, fewer only at the end of the file (as a buffered file's ``read``)."""
    data = os.read(fd, n)
    while data and len(data) < n:
        more = os.read(fd, n - len(data))
        if not more:
            break
        data += more
    return data


def _header_complete(head: bytes) -> bool:
    """Whether ``head`` holds the first token and, when it is ``package``, 256 bytes past the
    start of the name (so that a longer read would not change what the head says)."""
    start = _first_token(head)
    if start is None or start + len(b"package") + 1 >= len(head):
        return False
    if not head.startswith(b"package", start):
        return True
    name_at = _skip_blank(head, start + len(b"package"))
    return name_at is not None and name_at + 256 < len(head)


def package_name(source: bytes) -> str | None:
    """The name in a file's ``package`` clause, which must be the file's first token.

    Whitespace, ``//`` and ``/* */`` comments before it are skipped however long they are
    (cmd/go's alldocs.go opens with well over 64 KiB of comments).
    """
    start = _first_token(source)
    if start is None or not source.startswith(b"package", start):
        return None
    name_at = _skip_blank(source, start + len(b"package"))
    if name_at is None or name_at == start + len(b"package"):
        return None  # "packagefoo", or an unclosed comment
    m = PACKAGE_NAME.match(source[name_at:name_at + 256].decode("utf-8", "replace"))
    return m.group(0) if m else None


class ModuleFinder:
    """Nearest go.mod lookup, cached per directory."""

    def __init__(self) -> None:
        self._cache: dict[Path, Module] = {}

    def for_directory(self, directory: Path) -> Module:
        directory = directory.resolve()
        chain: list[Path] = []
        current = directory
        module: Module | None = None
        while True:
            if current in self._cache:
                module = self._cache[current]
                break
            chain.append(current)
            module = _gomod_in(current)
            if module is not None:
                break
            if current.parent == current:
                module = Module(None, None, None)
                break
            current = current.parent
        for d in chain:
            self._cache[d] = module
        return module


def _gomod_in(directory: Path) -> Module | None:
    """The module of ``directory``'s go.mod, None when there is none. A folder or a FIFO named
    go.mod is none; a dangling link or a link loop is a go.mod that cannot be read."""
    gomod = directory / "go.mod"
    try:
        mode = os.stat(gomod).st_mode
    except OSError:  # absent, a dangling link or a loop, or a folder we may not look into
        return read_gomod(gomod) if os.path.islink(gomod) else None
    return read_gomod(gomod) if stat.S_ISREG(mode) else None


def read_gomod(gomod: Path) -> Module:
    """Read the module path and ``go`` directive of a go.mod file."""
    try:
        content = gomod.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return Module(None, None, gomod, warning=(
            f"{display_path(gomod)}: cannot read ({exc.strerror or exc}); the packages below "
            "it are analysed without its go version"))
    module = MODULE_DIRECTIVE.search(content)
    version, error = None, ""
    directive = GO_DIRECTIVE.search(content)
    if directive is not None:
        value = (directive.group(1) or "").strip()
        m = GO_VERSION.match(value)
        if m:
            version = (int(m.group(1)), int(m.group(2)))
        else:
            line = content.count("\n", 0, directive.start()) + 1
            shown = repr(value) if value else "nothing"
            error = (f"{display_path(gomod)}:{line}: go directive: expected a Go version such "
                     f"as 1.22, found {shown}")
    return Module(module.group(1) if module else None, version, gomod, error)


def _gomod_unreadable(module: Module) -> Skipped:
    """A go.mod that could not be read, as a ``read-error`` (its warning names it first)."""
    gomod = module.gomod or Path("go.mod")  # always set when there is a warning
    return Skipped(gomod, "read-error", module.warning.removeprefix(f"{display_path(gomod)}: "))


def _skipped_dir(name: str) -> bool:
    return name in SKIPPED_DIRS or name.startswith((".", "_"))


def _walk_go_files(root: Path, warnings: list[Skipped]) -> list[Path]:
    """The Go files below ``root``.

    Folders are walked as they are first, without following symbolic links; the links to
    folders met on the way are followed afterwards. So a folder reachable both ways is
    analysed under its own path whatever the names sort like, and the link is skipped with a
    warning naming that path; a link to a folder that contains it (a loop) is skipped too.
    """
    found: list[Path] = []
    seen: dict[tuple[int, int], Path] = {}  # folder identity -> the path it was walked as
    links: list[Path] = []  # symbolic links to folders, followed once the real folders are done

    def walk(start: Path) -> None:
        stack = [start]
        while stack:
            directory = stack.pop()
            try:
                st = directory.stat()
                walked_as = seen.get((st.st_dev, st.st_ino))
                if walked_as is not None:  # a bind mount, or below a link's target
                    warnings.append(Skipped(directory, "already-analysed", "already analysed "
                                            f"as {display_path(walked_as)}; skipped"))
                    continue
                seen[(st.st_dev, st.st_ino)] = directory
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as exc:
                warnings.append(_unreadable(directory, exc, " directory"))
                continue
            subdirs: list[Path] = []
            for entry in entries:
                try:
                    if entry.is_dir():
                        if _skipped_dir(entry.name):
                            continue
                        (links if entry.is_symlink() else subdirs).append(Path(entry.path))
                    elif entry.name.endswith(".go") and entry.is_file():
                        found.append(Path(entry.path))
                    elif entry.name.endswith(".go") and entry.is_symlink():
                        os.stat(entry.path)  # a dangling link or a loop: raises with the reason
                except OSError as exc:
                    warnings.append(_unreadable(Path(entry.path), exc))
            stack.extend(reversed(subdirs))

    walk(root)
    while links:
        link = links.pop(0)
        try:
            target = link.resolve(strict=True)
            st = target.stat()
            loop = link.parent.resolve(strict=True).is_relative_to(target)
        except OSError as exc:
            warnings.append(_unreadable(link, exc, " directory"))
            continue
        walked_as = seen.get((st.st_dev, st.st_ino))
        if loop:
            warnings.append(Skipped(link, "symlink-loop", "symbolic link to a folder that "
                                    "contains it (a loop); skipped"))
        elif walked_as is not None:
            warnings.append(Skipped(link, "already-analysed", "symbolic link to a folder already "
                                    f"analysed as {display_path(walked_as)}; skipped"))
        else:
            walk(link)
    return found


def discover(
    paths: list[str],
    exclude: Callable[[Path], bool] | None = None,
    force_exclude: bool = False,
) -> Discovery:
    """Find the Go packages for ``paths``.

    Directories recurse (skipping vendor/, testdata/, hidden and ``_`` folders); generated files
    found by recursion are read as context but not reported; a named file is always reported,
    and its sibling files are read as context so that package-wide rules see the whole package.
    ``exclude`` is an optional predicate on a path: excluded files are context only, and with
    ``force_exclude`` (pre-commit passes every staged file) even named files honour it.
    """
    warnings: list[Skipped] = []
    reported: dict[Path, bool] = {}  # absolute path -> named explicitly
    for raw in paths:
        p = Path(os.path.abspath(raw))  # one key per file however it is spelled
        try:
            os.stat(p)
        except OSError as exc:
            if not os.path.lexists(p):
                raise DiscoveryError(f"{raw}: no such file or directory") from None
            warnings.append(_unreadable(p, exc))
            continue
        if p.is_dir():
            for f in _walk_go_files(p, warnings):
                reported.setdefault(f, False)
        elif p.is_file():
            reported[p] = True
        elif p.suffix == ".go":
            raise DiscoveryError(f"{raw}: not a regular file")
        else:
            raise DiscoveryError(f"{raw}: not a Go file or directory")

    # By folder, then by name: strings, where paths would cost more (thousands of files).
    by_directory: dict[str, dict[str, Path]] = {}
    for f in reported:
        folder, base = os.path.split(os.fspath(f))
        by_directory.setdefault(folder, {})[base] = f
    directories = sorted((Path(d), d) for d in by_directory)
    modules = ModuleFinder()
    packages: dict[tuple[Path, str], PackageFiles] = {}
    for directory, folder in directories:
        known = by_directory[folder]  # name -> the path walked or named
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:
            warnings.append(_unreadable(directory, exc, " directory"))
            entries = []
        siblings = []
        for e in entries:
            try:
                if e.name.endswith(".go") and e.is_file():
                    siblings.append(e.name)
            except OSError:  # a link loop: read below if named or walked, which says why
                continue
        for base in sorted(set(siblings) | set(known)):  # (paths of one folder sort by name)
            walked_or_named = base in known
            path = known[base] if walked_or_named else directory / base
            try:
                source, size = read_head(path)  # the rest is read where it is analysed
            except OSError as exc:
                if walked_or_named:
                    warnings.append(_unreadable(path, exc))
                continue
            nul = source.find(b"\0", 0, BINARY_PROBE)
            if nul >= 0:  # not Go source: nothing of it is handed to the rules
                if walked_or_named:
                    warnings.append(Skipped(path, "binary-file", f"binary file (a NUL byte at "
                                            f"offset {nul}); skipped"))
                continue
            name = package_name(source)
            if name is None:
                if walked_or_named:
                    warnings.append(Skipped(path, "no-package-clause",
                                            "no package clause; skipped"))
                continue
            explicit = reported[path] if walked_or_named else None
            generated = is_generated(source)
            wanted = explicit is True or (
                explicit is False and not generated and not (exclude and exclude(path))
            )
            if explicit is True and force_exclude and exclude and exclude(path):
                wanted = False
            pkg = packages.get((directory, name))
            if pkg is None:
                pkg = packages[(directory, name)] = PackageFiles(
                    directory, name, modules.for_directory(directory)
                )
            pkg.files.append(SourceFile(path, None, wanted, generated, size))
    result = [p for p in packages.values() if any(f.reported for f in p.files)]
    warnings += [_gomod_unreadable(p.module) for p in result if p.module.warning]
    return Discovery(result, list(dict.fromkeys(warnings)))

