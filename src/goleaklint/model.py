"""The package model: imports, package-level declarations, local bindings and call resolution.

Everything here is read from syntax (no type checker), computed once per file or package and
shared by every rule; expensive facts are computed lazily, on first question.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .discover import PRE_MODULES, Module, SourceFile
from .facts import Facts
from .queries import QueryMemo, learn
from .skeleton import blank_bodies
from .syntax import (
    Elision,
    Node,
    Tree,
    first_error,
    parse_guarded,
    text,
    unquote,
)
from .types import UNKNOWN, TypeRef, type_from_node

FUNCTION_NODES = frozenset({"function_declaration", "method_declaration", "func_literal"})
DECLARATION_NODES = frozenset({"function_declaration", "method_declaration"})
# Nodes that open a scope for the declarations directly inside them.
SCOPE_NODES = frozenset({
    "block", "if_statement", "for_statement", "expression_switch_statement",
    "type_switch_statement", "select_statement", "expression_case", "type_case",
    "default_case", "communication_case", "func_literal", "function_declaration",
    "method_declaration", "source_file",
})

_CALLS_BY_NAME = learn("(call_expression function: (identifier) @f)")
_FUNCTIONS = learn("[(function_declaration) (method_declaration) (func_literal)] @f")
_LOCAL_DECLARATIONS = """
(short_var_declaration left: (expression_list (identifier) @name))
(var_spec name: (identifier) @var)
(const_spec name: (identifier) @var)
(parameter_declaration name: (identifier) @param)
(variadic_parameter_declaration name: (identifier) @param)
(range_clause left: (expression_list (identifier) @range))
(type_switch_statement alias: (expression_list (identifier) @name))
(receive_statement left: (expression_list (identifier) @name))
(labeled_statement label: (label_name) @label)
"""
learn(_LOCAL_DECLARATIONS)


@dataclass(frozen=True)
class Import:
    """One import spec: local name (alias, package's last element, ``.`` or ``_``) and path."""

    name: str
    path: str
    node: Node


class Declaration:
    """A package-level var, const, type or func (methods are kept per receiver type).

    ``node`` is the spec (var_spec, type_spec) or the function/method declaration; ``value``
    the initialiser expression of a var or const, if any; ``receiver`` a method's receiver
    base type name.  ``type`` (declared, or the type a type spec defines) is read from
    ``type_node`` when first asked: most of a package's declarations (the constants of a
    generated table) are never asked theirs.
    """

    __slots__ = ("_type", "file", "kind", "name", "node", "receiver", "type_node", "value")

    def __init__(self, name: str, kind: str, node: Node, file: FileModel,
                 type_node: Node | None = None, value: Node | None = None,
                 receiver: str = "") -> None:
        self.name = name
        self.kind = kind  # var, const, type, func, method
        self.node = node
        self.file = file
        self.type_node = type_node
        self.value = value
        self.receiver = receiver
        self._type: TypeRef | None = None

    @property
    def type(self) -> TypeRef:
        if self._type is None:
            self._type = type_from_node(self.type_node, self.file.resolve_package) if (
                self.type_node is not None) else UNKNOWN
        return self._type

    def __repr__(self) -> str:
        return f"Declaration({self.kind} {self.name})"


_BOM = b"\xef\xbb\xbf"


class FileModel:
    """One parsed file: its tree, imports, line index and local-binding facts.

    ``source`` is what the tree was parsed from: the file's bytes, except that declarations
    nested beyond the limits of ``syntax.parse_guarded`` and the insides of huge data literals
    are blanked (``elisions``), and so are the function bodies of a generated file read as
    context (``skeleton``); offsets and lines are those of the file either way.
    """

    def __init__(self, source_file: SourceFile, source: bytes | None = None) -> None:
        self.source_file = source_file
        self.path: Path = source_file.path
        self.raw: bytes = source if source is not None else source_file.read()
        self.reported = source_file.reported
        self.source: bytes
        self.tree: Tree
        self.elisions: list[Elision]
        parsed = self.raw
        if source_file.generated and not source_file.reported:
            parsed = blank_bodies(parsed)  # context: its declarations, not its bodies
        self.source, self.tree, self.elisions = parse_guarded(parsed)
        self.root: Node = self.tree.root_node
        # The memo of the questions asked of this file's tree (``captures``): it goes with it.
        self.queries = QueryMemo(self.root)
        self.imports: list[Import] = list(self._read_imports())
        # Answers of ``resolve_selector``, which several rules ask of the same calls: by byte
        # range, node kind and whether a package was given, packed in one int.
        self._selector_memo: dict[int, str | None] = {}
        # ``_local_scopes``: name -> top-level declaration index -> its local bindings.
        self._scopes: dict[bytes, dict[int, list[tuple[int, int, int]]]] = {}

    @property
    def is_test(self) -> bool:
        return self.source_file.is_test

    def captures(self, pattern: str, node: Node | None = None) -> dict[str, list[Node]]:
        """Run the tree-sitter query ``pattern`` under ``node`` (default: the file's root) and
        return its captures by name, in document order.

        Answers are memoised for the file's lifetime, and the questions asked of the root by
        every rule are answered together: the file's first one runs them all as one walk.
        """
        return self.queries.captures(pattern, node)

    @cached_property
    def parse_error(self) -> Node | None:
        """The first syntax error of the file, or None."""
        return first_error(self.tree)

    def _read_imports(self) -> Iterator[Import]:
        for decl in self.root.named_children:
            if decl.type == "package_clause" or decl.type == "comment":
                continue
            if decl.type != "import_declaration":
                break
            specs = []
            for child in decl.named_children:
                if child.type == "import_spec":
                    specs.append(child)
                elif child.type == "import_spec_list":
                    specs.extend(c for c in child.named_children if c.type == "import_spec")
            for spec in specs:
                path = unquote(text(spec.child_by_field_name("path")))
                alias = spec.child_by_field_name("name")
                name = text(alias) if alias is not None else default_import_name(path)
                yield Import(name, path, spec)

    @cached_property
    def import_names(self) -> dict[str, str]:
        """Local package name -> import path (dot and blank imports excluded)."""
        return {i.name: i.path for i in self.imports if i.name not in (".", "_")}

    @cached_property
    def dot_imports(self) -> list[str]:
        return [i.path for i in self.imports if i.name == "."]

    def imports_path(self, path: str) -> bool:
        """True when the file imports ``path`` (under any name)."""
        return any(i.path == path for i in self.imports)

    # Positions -------------------------------------------------------------------------------

    @cached_property
    def _line_starts(self) -> array[int]:
        """The offset of each line's start: machine integers, a fifth of a list's memory (a
        30 MB file has 1.7 million lines)."""
        starts = array("q", [0])
        source = self.raw
        i = source.find(b"\n")
        while i >= 0:
            starts.append(i + 1)
            i = source.find(b"\n", i + 1)
        return starts

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its line ending (``\n`` or ``\r\n``)."""
        starts = self._line_starts
        if not 1 <= line <= len(starts):
            return ""
        start = starts[line - 1]
        if line == 1 and self.raw.startswith(_BOM):
            start = len(_BOM)
        end = starts[line] - 1 if line < len(starts) else len(self.raw)
        return self.raw[start:end].decode("utf-8", "replace").rstrip("\r")

    def position(self, byte_offset: int) -> tuple[int, int]:
        """1-based line and 1-based column in Unicode code points (the SARIF ``columnKind``).

        Lines end at ``\n`` (a ``\r`` before it is the line's last character, as in Go); a
        byte order mark is not a column; each byte that is not UTF-8 counts as one column.
        """
        starts = self._line_starts
        byte_offset = min(max(byte_offset, 0), len(self.raw))
        row = bisect.bisect_right(starts, byte_offset) - 1
        start = starts[row]
        if row == 0 and self.raw.startswith(_BOM):
            start = min(len(_BOM), byte_offset)
        prefix = self.raw[start:byte_offset]
        if prefix.isascii():
            return row + 1, len(prefix) + 1
        return row + 1, len(prefix.decode("utf-8", "surrogateescape")) + 1

    # Local bindings ----------------------------------------------------------------------------

    @cached_property
    def top_level(self) -> list[Node]:
        """The root's children: the file's declarations (and its comments)."""
        return self.root.children

    @cached_property
    def _top_level_starts(self) -> list[int]:
        return [n.start_byte for n in self.top_level]

    def _top_level_index(self, byte: int) -> int:
        return bisect.bisect_right(self._top_level_starts, byte) - 1

    @cached_property
    def _functions(self) -> tuple[list[int], list[Node], list[int]]:
        """The file's functions and literals by start, and each one's enclosing one (-1)."""
        nodes = self.captures(_FUNCTIONS).get("f", [])
        starts = [n.start_byte for n in nodes]
        parents: list[int] = []
        open_: list[int] = []  # indexes of the functions containing the current one
        for i, start in enumerate(starts):
            while open_ and nodes[open_[-1]].end_byte <= start:
                open_.pop()
            parents.append(open_[-1] if open_ else -1)
            open_.append(i)
        return starts, nodes, parents

    def innermost_function(self, node: Node) -> Node | None:
        """``innermost_function(node)`` by offsets: the function declaration, method or literal
        that holds ``node`` (not ``node`` itself), without walking up the tree."""
        starts, nodes, parents = self._functions
        start, end = node.byte_range
        i = bisect.bisect_right(starts, start) - 1
        while i >= 0:
            candidate = nodes[i]
            # Same bytes: ``node`` itself, or a node that is all literal (its only child): not
            # an ancestor (a function's children all start after its ``func``).
            if candidate.end_byte >= end and (starts[i], candidate.end_byte) != (start, end):
                return candidate
            i = parents[i]
        return None

    def mentions(self, node: Node, names: Iterable[bytes]) -> bool:
        """Whether any of ``names`` is written in ``node``'s bytes (comments and strings too:
        a cheap test that may say yes for nothing, never no for something)."""
        source, start, end = self.source, node.start_byte, node.end_byte
        return any(source.find(name, start, end) >= 0 for name in names)

    def top_level_function(self, node: Node) -> Node | None:
        """The function or method declaration at the top of the file that holds ``node``
        (by offsets: no walk up the tree, which tree-sitter makes from the root)."""
        i = self._top_level_index(node.start_byte)
        if i < 0:
            return None
        top = self.top_level[i]
        if top.type not in DECLARATION_NODES or node.end_byte > top.end_byte:
            return None
        return top

    @cached_property
    def _declared_names(self) -> dict[bytes, list[tuple[Node, str]]]:
        """Each name declared in the file (package level included) -> its declaring
        identifiers and their kind: the cheap half of the local-declaration table."""
        found: dict[bytes, list[tuple[Node, str]]] = {}
        for kind, nodes in self.captures(_LOCAL_DECLARATIONS).items():
            if kind == "label":
                continue
            for node in nodes:
                found.setdefault(node.text or b"", []).append((node, kind))
        return found

    def _local_scopes(self, name: bytes, at: int) -> list[tuple[int, int, int]] | None:
        """The local bindings of ``name`` in the top-level declaration holding byte ``at``:
        (scope start, scope end, declared from).

        Scopes are worked out (a walk up the tree per declaration) for the names asked about
        only, all of a name's at once; keyed by the top-level declaration so that a lookup
        scans the bindings of one function, however often a name (``err``) is declared.
        """
        scopes = self._scopes.get(name)
        if scopes is None:
            declared = self._declared_names.get(name)
            if declared is None:
                return None
            scopes = self._scopes[name] = {}
            for node, kind in declared:
                bound = _binding_extent(node, kind)
                if bound is not None:
                    scope, visible = bound
                    scopes.setdefault(self._top_level_index(scope.start_byte), []).append(
                        (scope.start_byte, scope.end_byte, visible)
                    )
        return scopes.get(self._top_level_index(at))

    def is_local(self, ident: Node) -> bool:
        """True when identifier ``ident`` refers to a local (function-scoped) binding."""
        at = ident.start_byte
        decls = self._local_scopes(ident.text or b"", at)
        if not decls:
            return False
        return any(start <= at < end and declared <= at for start, end, declared in decls)

    def binding(self, ident: Node, declaring: bool = False) -> tuple[str, int, int] | None:
        """Identity of the local binding ``ident`` refers to: (name, scope start, visible from).

        None when ``ident`` is not local.  With ``declaring`` the binding that ``ident``
        introduces (the left side of ``x :=``, a ``var`` name, a parameter), which is not yet
        visible at the identifier itself.
        """
        at = ident.start_byte
        decls = self._local_scopes(ident.text or b"", at)
        if not decls:
            return None
        name = text(ident)
        if declaring:
            found = [(d, s) for s, e, d in decls if s <= at < e and d >= at]
            if not found:
                return None
            declared, start = min(found)
            return name, start, declared
        visible = [(s, d) for s, e, d in decls if s <= at < e and d <= at]
        if not visible:
            return None
        start, declared = max(visible)
        return name, start, declared

    def resolve_package(self, name: str) -> str | None:
        """Import path for a package identifier, or None."""
        return self.import_names.get(name)


def default_import_name(path: str) -> str:
    """The name a package is known by when imported without alias (last element, sans version)."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return path
    last = parts[-1]
    if len(parts) > 1 and last.startswith("v") and last[1:].isdigit():
        last = parts[-2]
    if last.startswith("go-"):
        last = last[3:]
    for suffix in (".go", "-go"):
        if last.endswith(suffix):
            last = last[: -len(suffix)]
    return last.replace("-", "_").replace(".", "_")


_DECLARING = frozenset({
    "short_var_declaration", "var_declaration", "const_declaration", "type_declaration",
    "range_clause", "receive_statement", "type_switch_statement",
})


def _binding_extent(node: Node, kind: str) -> tuple[Node, int] | None:
    """The scope of a local declaration (the node whose extent it is) and the byte from which
    the name is visible; None at package level, and for what only looks like a declaration.

    One walk up the tree (each step up is a walk down from the root in tree-sitter).
    """
    parent = node.parent
    if kind == "param":  # parameters, receivers, results: their whole function
        while parent is not None and parent.type not in FUNCTION_NODES:
            parent = parent.parent
        return (parent, node.start_byte) if parent is not None else None
    if kind == "range":  # `for k, v := range …`: the loop, after the clause
        clause = parent.parent if parent is not None else None
        if clause is None or clause.parent is None or b":=" not in (clause.text or b""):
            return None
        return clause.parent, clause.end_byte
    if kind == "name" and parent is not None:
        holder = parent.parent
        if holder is not None and holder.type == "receive_statement" and (
            b":=" not in (holder.text or b"")
        ):
            return None  # `case v = <-ch` assigns, it does not declare
    declaring = None
    while parent is not None and parent.type not in SCOPE_NODES:
        if declaring is None and parent.type in _DECLARING:
            declaring = parent
        parent = parent.parent
    if parent is None or parent.type == "source_file":
        return None
    if declaring is None:
        return parent, _declared_from(node)  # a type switch's alias, or a form not seen here
    if declaring.type == "type_declaration":
        return parent, node.start_byte
    return parent, declaring.end_byte


def _declared_from(node: Node) -> int:
    """Where a local name starts to be visible: after its declaring statement (Go's rule)."""
    parent = node.parent
    while parent is not None and parent.type not in _DECLARING:
        parent = parent.parent
    if parent is None or parent.type == "type_switch_statement":
        return node.end_byte
    if parent.type == "type_declaration":
        return node.start_byte
    return parent.end_byte


@dataclass
class Package:
    """One Go package: its files and package-level declarations."""

    directory: Path
    name: str
    module: Module
    files: list[FileModel]
    vars: dict[str, Declaration] = field(default_factory=dict)
    types: dict[str, Declaration] = field(default_factory=dict)
    funcs: dict[str, Declaration] = field(default_factory=dict)
    methods: dict[str, dict[str, Declaration]] = field(default_factory=dict)
    go_version: tuple[int, int] | None = None  # go.mod's directive, or the configured override
    # ``[rules.<ID>]`` options of the configuration in force, for facts that depend on them
    rule_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    facts: Facts = field(init=False, repr=False)  # computed on first question, shared by rules
    # ``consts`` is read when first asked: a generated table can hold thousands of constants.
    _const_declarations: list[tuple[FileModel, Node]] = field(default_factory=list, repr=False)
    _consts: dict[str, Declaration] | None = field(default=None, repr=False)
    _consts_by_name: dict[str, Declaration | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.facts = Facts(self)
        if self.go_version is None:
            self.go_version = self.module.go_version

    @property
    def runtime_go_version(self) -> tuple[int, int] | None:
        """The Go release whose runtime the timer rules (GL203/GL205) reason about:
        ``go_version``, or PRE_MODULES when no go.mod is above the package (GOPATH-era code
        predates modules); None when a go.mod says nothing usable."""
        if self.go_version is None and self.module.gomod is None:
            return PRE_MODULES
        return self.go_version

    @property
    def consts(self) -> dict[str, Declaration]:
        """The package-level constants by name (the last declared wins, as for the others)."""
        if self._consts is None:
            self._consts = {}
            for f, decl in self._const_declarations:
                self._read_specs(f, decl, "const_spec", "const", self._consts)
        return self._consts

    def const(self, name: str) -> Declaration | None:
        """The package-level constant ``name`` (as ``consts.get(name)``), found by its bytes
        in the const declarations: one constant's question does not read a whole table."""
        if self._consts is not None:
            return self._consts.get(name)
        if name in self._consts_by_name:
            return self._consts_by_name[name]
        found: dict[str, Declaration] = {}
        wanted = name.encode()
        for f, decl in self._const_declarations:
            at = f.source.find(wanted, decl.start_byte, decl.end_byte)
            while at >= 0:
                node = f.root.descendant_for_byte_range(at, at + len(wanted))
                spec = node.parent if node is not None and node.type == "identifier" else None
                if spec is not None and node is not None and spec.type == "const_spec" and (
                    node.text == wanted
                ):
                    self._read_specs(f, spec, "const_spec", "const", found, single=True)
                at = f.source.find(wanted, at + len(wanted), decl.end_byte)
        declared = self._consts_by_name[name] = found.get(name)
        return declared

    @classmethod
    def build(cls, directory: Path, name: str, module: Module, files: list[FileModel]) -> Package:
        pkg = cls(directory, name, module, files)
        for f in files:
            pkg._read_declarations(f)
        return pkg

    def _read_declarations(self, f: FileModel) -> None:
        for decl in f.top_level:
            kind = decl.type
            if kind == "var_declaration":
                self._read_specs(f, decl, "var_spec", "var", self.vars)
            elif kind == "const_declaration":
                if self._consts is not None:
                    self._read_specs(f, decl, "const_spec", "const", self._consts)
                else:
                    self._const_declarations.append((f, decl))
            elif kind == "type_declaration":
                for spec in decl.named_children:
                    if spec.type in ("type_spec", "type_alias"):
                        tname = text(spec.child_by_field_name("name"))
                        self.types[tname] = Declaration(
                            tname, "type", spec, f, spec.child_by_field_name("type"))
            elif kind == "function_declaration":
                fname = text(decl.child_by_field_name("name"))
                if fname != "init" and fname != "_":
                    self.funcs[fname] = Declaration(fname, "func", decl, f)
            elif kind == "method_declaration":
                recv = receiver_type_name(decl)
                mname = text(decl.child_by_field_name("name"))
                self.methods.setdefault(recv, {})[mname] = Declaration(
                    mname, "method", decl, f, receiver=recv
                )

    @staticmethod
    def _read_specs(f: FileModel, decl: Node, spec_type: str, what: str,
                    target: dict[str, Declaration], single: bool = False) -> None:
        """The specs of a declaration into ``target`` (``single``: ``decl`` is one spec)."""
        for spec in [decl] if single else _specs(decl, spec_type):
            names = spec_names(spec)
            declared = spec.child_by_field_name("type")
            values = spec.child_by_field_name("value")
            value_nodes = values.named_children if values is not None else []
            for i, n in enumerate(names):
                value = value_nodes[i] if len(value_nodes) == len(names) else None
                name = text(n)
                target[name] = Declaration(name, what, spec, f, declared, value)

    # Types -------------------------------------------------------------------------------------

    def underlying(self, t: TypeRef, _depth: int = 0) -> TypeRef:
        """Follow named types of this package to their definition (``type R map[..]`` → map)."""
        while t.kind == "named" and t.name in self.types and _depth < 10:
            t = self.types[t.name].type
            _depth += 1
        return t

    def field_type(self, owner: TypeRef, name: str) -> TypeRef:
        """The type of field ``name`` of a struct type (through pointers and named types)."""
        struct = self.underlying(owner.deref())
        if struct.kind != "struct":
            return UNKNOWN
        for fname, ftype in struct.fields:
            if fname == name:
                return ftype
        return UNKNOWN

    def var_type(self, name: str) -> TypeRef:
        """The type of a package-level var: declared, or inferred from its initialiser."""
        decl = self.vars.get(name)
        if decl is None:
            return UNKNOWN
        if decl.type.kind != "unknown":
            return decl.type
        return self.initialiser_type(decl.value, decl.file)

    def initialiser_type(self, expr: Node | None, f: FileModel, _depth: int = 0) -> TypeRef:
        """A light type for an initialiser expression (``make``, literals, ``new``, ``&T{}``)."""
        if expr is None or _depth > 32:
            return UNKNOWN
        kind = expr.type
        if kind == "parenthesized_expression" and expr.named_child_count:
            return self.initialiser_type(expr.named_children[0], f, _depth + 1)
        if kind == "composite_literal":
            return type_from_node(expr.child_by_field_name("type"), f.resolve_package)
        if kind == "unary_expression" and text(expr.child_by_field_name("operator")) == "&":
            inner = self.initialiser_type(expr.child_by_field_name("operand"), f, _depth + 1)
            return TypeRef("pointer", elem=inner) if inner.kind != "unknown" else UNKNOWN
        if kind == "call_expression":
            fn = expr.child_by_field_name("function")
            args = expr.child_by_field_name("arguments")
            first = args.named_children[0] if args is not None and args.named_child_count else None
            if fn is not None and fn.type == "identifier" and not f.is_local(fn):
                name = text(fn)
                if name == "make" and first is not None:
                    return type_from_node(first, f.resolve_package)
                if name == "new" and first is not None:
                    return TypeRef("pointer", elem=type_from_node(first, f.resolve_package))
                decl = self.funcs.get(name)
                if decl is not None:
                    return single_result_type(decl.node, decl.file)
        return UNKNOWN

    # Calls -------------------------------------------------------------------------------------

    @cached_property
    def call_sites(self) -> dict[str, list[tuple[FileModel, Node]]]:
        """Name of a package function (``funcs``) -> its calls ``name(...)``, across the
        package (calls of a local of that name excluded)."""
        sites: dict[str, list[tuple[FileModel, Node]]] = {}
        for f in self.files:
            calls = f.captures(_CALLS_BY_NAME)
            for node in calls.get("f", []):
                name = text(node)
                if name in self.funcs and not f.is_local(node):
                    sites.setdefault(name, []).append((f, node))
        return sites


def spec_names(spec: Node) -> list[Node]:
    """The names a var or const spec declares (tree-sitter-go also puts the commas of
    ``const a, b = …`` in the name field)."""
    return [n for n in spec.children_by_field_name("name") if n.is_named]


def _specs(decl: Node, spec_type: str) -> list[Node]:
    specs = []
    for child in decl.named_children:
        if child.type == spec_type:
            specs.append(child)
        elif child.type.endswith("_spec_list"):
            specs.extend(c for c in child.named_children if c.type == spec_type)
    return specs


def receiver_type_name(method: Node) -> str:
    """The base type name of a method's receiver (``func (c *Cache[K]) …`` → ``Cache``)."""
    recv = method.child_by_field_name("receiver")
    if recv is None:
        return ""
    for param in recv.named_children:
        if param.type == "parameter_declaration":
            written = param.child_by_field_name("type")
            # The usual ``T`` and ``*T`` read directly; anything else as a type.
            named = written.named_children[0] if written is not None and (
                written.type == "pointer_type" and written.named_child_count == 1) else written
            if named is not None and named.type == "type_identifier":
                return text(named)
            return type_from_node(written).deref().name
    return ""


def receiver_name(method: Node) -> str:
    """The receiver variable's name of a method (empty when unnamed)."""
    recv = method.child_by_field_name("receiver")
    if recv is None:
        return ""
    for param in recv.named_children:
        if param.type == "parameter_declaration":
            name = param.child_by_field_name("name")
            return text(name) if name is not None else ""
    return ""


def single_result_type(func: Node, f: FileModel) -> TypeRef:
    """The type of a function's only result, or UNKNOWN."""
    result = func.child_by_field_name("result")
    if result is None:
        return UNKNOWN
    if result.type == "parameter_list":
        params = [p for p in result.named_children if p.type == "parameter_declaration"]
        if len(params) != 1 or len(params[0].children_by_field_name("name")) > 1:
            return UNKNOWN
        return type_from_node(params[0].child_by_field_name("type"), f.resolve_package)
    return type_from_node(result, f.resolve_package)


def enclosing_function(node: Node) -> Node | None:
    """The function or method declaration containing ``node`` (through function literals)."""
    parent = node.parent
    while parent is not None and parent.type not in DECLARATION_NODES:
        parent = parent.parent
    return parent


def function_name(decl: Node | None) -> str:
    """The declared name of a function or method declaration node."""
    if decl is None:
        return ""
    return text(decl.child_by_field_name("name"))


def is_main_main(pkg: Package, function: Node | None) -> bool:
    """``main`` of package ``main``: it runs once and its return ends the process, so what it
    leaves unreleased is not a leak."""
    return pkg.name == "main" and function_name(function) == "main"


def resolve_selector(f: FileModel, node: Node, pkg: Package | None = None) -> str | None:
    """``c.WithCancel`` → ``context.WithCancel`` when ``c`` is an import of ``context`` in ``f``.

    ``node`` is a selector_expression (or a call_expression whose function is one).  A dot
    import resolves bare identifiers when it is the file's only dot import and ``pkg`` (when
    given) declares no function, var or type of that name.
    """
    start, end = node.byte_range
    key = (((start << 32 | end) << 16 | node.kind_id) << 1) | (pkg is None)
    memo = f._selector_memo
    if key in memo:
        return memo[key]
    found = memo[key] = _resolve_selector(f, node, pkg)
    return found


def _resolve_selector(f: FileModel, node: Node, pkg: Package | None) -> str | None:
    if node.type == "call_expression":
        function = node.child_by_field_name("function")
        if function is None:
            return None
        node = function
    if node.type == "selector_expression":
        operand = node.child_by_field_name("operand")
        if operand is None or operand.type != "identifier":
            return None
        path = f.import_names.get(text(operand))
        if path is None or f.is_local(operand):  # the cheap test first: most are not imports
            return None
        return f"{path}.{text(node.child_by_field_name('field'))}"
    if node.type == "identifier" and len(f.dot_imports) == 1 and not f.is_local(node):
        name = text(node)
        if pkg is not None and (name in pkg.funcs or name in pkg.vars or name in pkg.types):
            return None
        return f"{f.dot_imports[0]}.{name}"
    return None
