"""statelife: where package state cannot grow for long (short-lived processes, test support)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import run

GROWS = """package {name}

var seen = map[string]int{{}}

func Count(s string) int {{
	seen[s+"!"]++
	return len(seen)
}}
"""
SERVES = """package main

import "net/http"

func main() { _ = http.ListenAndServe(":8080", nil) }
"""
TOOL = """package main

import "os"

func main() { os.Exit(0) }
"""


def _findings(directory: Path) -> list[str]:
    return [f"{f.rule_id}:{f.location.line}" for f in run(directory, ["GL101"]).findings]


def _package(root: Path, folder: str, source: str) -> Path:
    directory = root / folder
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "x.go").write_text(source)
    return directory


def test_the_go_toolchain_module_runs_in_short_lived_processes(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module cmd\n\ngo 1.19\n")
    directory = _package(tmp_path, "internal/obj", GROWS.format(name="obj"))
    assert _findings(directory) == []


def test_another_module_of_the_same_shape_is_reported(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/cmd\n\ngo 1.19\n")
    directory = _package(tmp_path, "internal/obj", GROWS.format(name="obj"))
    assert _findings(directory) == ["GL101:6"]


@pytest.mark.parametrize(("owner", "expected"), [
    (TOOL, []),  # only a short-lived command can import it
    (SERVES, ["GL101:6"]),  # a server's internal package lives as long as the server
    (None, ["GL101:6"]),  # no package above the internal folder: importers unknown
    (GROWS.format(name="lib"), ["GL101:6"]),  # a library may be imported by anything
])
def test_an_internal_package_lives_as_long_as_its_only_importer(
        tmp_path: Path, owner: str | None, expected: list[str]) -> None:
    if owner is not None:
        _package(tmp_path, "cmd/tool", owner)
    directory = _package(tmp_path, "cmd/tool/internal/state", GROWS.format(name="state"))
    assert _findings(directory) == expected


@pytest.mark.parametrize(("folder", "expected"), [
    ("pkg/testutil", []),
    ("pkg/fstest", []),
    ("e2e/integration", []),
    ("pkg/latest", ["GL101:6"]),  # a word that ends in "test" without being one
    ("pkg/store", ["GL101:6"]),
])
def test_test_support_packages_are_named_so(tmp_path: Path, folder: str,
                                            expected: list[str]) -> None:
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.19\n")
    directory = _package(tmp_path, folder, GROWS.format(name=folder.rsplit("/", 1)[1]))
    assert _findings(directory) == expected


def test_a_module_root_named_like_test_support_says_nothing(tmp_path: Path) -> None:
    """Only folders inside the module are read: the module's own folder name is the user's."""
    root = tmp_path / "mytest"
    root.mkdir()
    (root / "go.mod").write_text("module example.com/mytest\n\ngo 1.19\n")
    directory = _package(root, "store", GROWS.format(name="store"))
    assert _findings(directory) == ["GL101:6"]


def test_folders_above_the_package_say_nothing_without_a_module(tmp_path: Path) -> None:
    """Without a go.mod only the package's own folder is read: a checkout under a folder
    named like a test (pytest's own temporary folders) is not test support."""
    directory = _package(tmp_path / "test_checkout" / "src", "store", GROWS.format(name="store"))
    assert _findings(directory) == ["GL101:6"]


@pytest.mark.parametrize("folder", ["test_checkout0", "testdata", "tests_of_x", "contest_x"])
def test_folder_names_that_only_start_with_test_are_not_test_support(
        tmp_path: Path, folder: str) -> None:
    """pytest's own temporary folders (``test_name0``) and a named ``testdata`` are code."""
    directory = _package(tmp_path, folder, GROWS.format(name="store"))
    assert _findings(directory) == ["GL101:6"]


def test_an_unreadable_command_folder_keeps_the_findings(tmp_path: Path) -> None:
    """The command above an internal package cannot be read (a dangling link among its files):
    whether it is short-lived is unknown, so its internal package's findings stay."""
    owner = _package(tmp_path, "cmd/tool", TOOL)
    (owner / "broken.go").symlink_to(tmp_path / "missing.go")
    directory = _package(tmp_path, "cmd/tool/internal/state", GROWS.format(name="state"))
    assert _findings(directory) == ["GL101:6"]
