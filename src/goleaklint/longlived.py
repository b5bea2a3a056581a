"""Package facts about long-lived state, shared by the retention rules (GL101-GL103, GL401).

* which functions run only at initialisation (``init``, var initialisers, helpers only they
  call, ``Register…`` functions);
* which struct types have only package-level instances;
* ``Resolver``: what an expression denotes in terms of package-level state (a ``Ref``);
  ``resolver_at`` builds one for any point of a function, aliases declared before it included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .facts import package_fact
from .model import FileModel, Package, enclosing_function, receiver_name, receiver_type_name
from .queries import apart, learn
from .syntax import Node, text
from .types import UNKNOWN, TypeRef

REGISTRATION = re.compile(r"^(Must)?[Rr]egister")
# The identifier an expression starts with, past parentheses, `*` and `&` (an ASCII one only:
# a name going on in UTF-8 does not match, and the expression is then resolved in full).
_LEADING_NAME = re.compile(rb"[\s(*&]*([A-Za-z_]\w*)(?![\x80-\xff])")

_INSTANTIATIONS = """
(composite_literal type: (type_identifier) @lit)
(composite_literal type: (generic_type type: (type_identifier) @lit))
(call_expression function: (identifier) @fn arguments: (argument_list . (type_identifier) @new))
(var_spec type: (type_identifier) @var)
(field_declaration type: (type_identifier) @field)
"""
learn(_INSTANTIATIONS)  # asked in the packages of 40% of Go files: cheaper combined


def context_of(node: Node, f: FileModel) -> Node | None:
    """The function whose execution runs ``node`` (of file ``f``): the nearest function
    declaration or literal, found by offsets (no walk up the tree).

    None means package-level initialisation (a var initialiser outside any function).
    A literal called on the spot (``func() { … }()``) runs in its own enclosing context.
    """
    ctx = f.innermost_function(node)
    while ctx is not None and ctx.type == "func_literal" and (
        _invoked_in_place(ctx) or _bound_to_local(ctx)
    ):
        ctx = f.innermost_function(ctx)
    return ctx


def _bound_to_local(literal: Node) -> bool:
    """``f := func(…) {…}``: a helper called by its enclosing function (same context)."""
    holder = literal.parent
    if holder is None or holder.type != "expression_list":
        return False
    statement = holder.parent
    return statement is not None and statement.type == "short_var_declaration"


def once_argument(node: Node) -> bool:
    """True for the function given to ``once.Do(f)`` (a one-argument ``Do``): it runs once."""
    args = node.parent
    if args is None or args.type != "argument_list" or args.named_child_count != 1:
        return False
    call = args.parent
    fn = call.child_by_field_name("function") if call is not None else None
    return (
        fn is not None
        and fn.type == "selector_expression"
        and text(fn.child_by_field_name("field")) == "Do"
    )


def _invoked_in_place(literal: Node) -> bool:
    call = literal.parent
    while call is not None and call.type == "parenthesized_expression":
        call = call.parent
    return call is not None and call.type == "call_expression" and (
        (function := call.child_by_field_name("function")) is not None
        and function.start_byte == literal.start_byte
    )


def is_init_time(pkg: Package, node: Node, registration: bool = True, *,
                 f: FileModel) -> bool:
    """True when ``node`` only runs while the package initialises.

    Initialisation is ``init()``, var initialisers, ``once.Do`` functions and unexported helpers
    only they call; with ``registration`` also functions and methods named ``Register…`` (by Go
    convention called from other packages' ``init``).
    """
    ctx = context_of(node, f)
    if ctx is None:
        return True
    if ctx.type == "func_literal":
        return once_argument(ctx)
    if ctx.id in pkg.facts.get(_NAMED_INIT[registration])[0]:
        return True
    if ctx.type != "function_declaration" or not _may_be_init_helper(
        text(ctx.child_by_field_name("name"))
    ):
        return False  # a method or an exported function: init time by its name or never
    return ctx.id in pkg.facts.get(_INIT[registration])


def _may_be_init_helper(name: str) -> bool:
    """An unexported function (not main) may be a helper that only initialisation calls."""
    return not name[:1].isupper() and name != "main"


NamedInit = tuple[frozenset[int], dict[str, list[int]], frozenset[str]]


def _named_init_functions(pkg: Package, registration: bool) -> NamedInit:
    """The declarations that run at init time by what they are (``init``, ``TestMain``,
    ``once.Do`` and flag callbacks, ``Register…``, flag ``Set`` methods), without looking at
    who calls what; the function declarations of each name; the names marked so."""
    marks: set[int] = set()
    # Every declaration of a name: files for other platforms may each declare it.
    declared: dict[str, list[int]] = {}
    for f in pkg.files:
        for decl in f.top_level:
            if decl.type != "function_declaration":
                continue
            name = text(decl.child_by_field_name("name"))
            declared.setdefault(name, []).append(decl.id)
            if name == "init" or (name == "TestMain" and f.is_test):
                marks.add(decl.id)  # TestMain runs once per test binary, before the tests
    init_names = set(pkg.facts.get(once_functions))
    if registration:
        init_names.update(name for name in pkg.funcs if REGISTRATION.match(name))
    for name in init_names:
        marks.update(declared.get(name, ()))
    marks.update(pkg.facts.get(once_methods))
    if registration:
        for methods in pkg.methods.values():
            marks.update(d.node.id for n, d in methods.items() if REGISTRATION.match(n))
            flag_set = methods.get("Set")  # flag.Value: Set(string) error, run by flag parsing
            if flag_set is not None and _is_flag_setter(flag_set.node):
                marks.add(flag_set.node.id)
    return frozenset(marks), declared, frozenset(init_names)


def _init_functions(pkg: Package, registration: bool) -> frozenset[int]:
    """Node ids of the function and method declarations that run only at init time."""
    named, declared, init_names = pkg.facts.get(_NAMED_INIT[registration])
    marks = set(named)
    # Unexported helpers whose every call runs at init time, to a fixpoint. Where each call
    # runs is found once: a context outside any function or a once.Do literal is init time
    # (None below); otherwise the call is init time when its declaration gets marked.
    pending: dict[str, list[int]] = {}
    for name in pkg.funcs:
        if name in init_names or not _may_be_init_helper(name):
            continue
        contexts = []
        for site_file, call in pkg.call_sites.get(name, ()):
            ctx = context_of(call, site_file)
            if ctx is None or (ctx.type == "func_literal" and once_argument(ctx)):
                continue
            if ctx.type == "func_literal":
                break  # a goroutine or callback: not init time, whatever its function is
            contexts.append(ctx.id)
        else:
            if pkg.call_sites.get(name):
                pending[name] = contexts
    return called_only_from(pkg, marks, pending, declared)


def called_only_from(pkg: Package, marks: set[int], pending: dict[str, list[int]],
                     declared: dict[str, list[int]] | None = None) -> frozenset[int]:
    """``marks`` grown to a fixpoint: a function of ``pending`` (name -> the ids of the
    functions its calls run in) is marked, with every declaration of its name, once all of
    those are marked."""
    changed = True
    while changed:
        changed = False
        for name, contexts in list(pending.items()):
            if all(c in marks for c in contexts):
                del pending[name]
                marks.update((declared or {}).get(name, (pkg.funcs[name].node.id,)))
                changed = True
    return frozenset(marks)


def _is_flag_setter(method: Node) -> bool:
    params = method.child_by_field_name("parameters")
    result = method.child_by_field_name("result")
    declared = [p for p in params.named_children if p.type == "parameter_declaration"] if (
        params is not None) else []
    return (
        len(declared) == 1
        and len(declared[0].children_by_field_name("name")) <= 1
        and text(declared[0].child_by_field_name("type")) == "string"
        and text(result) == "error"
    )


@package_fact()
def once_functions(pkg: Package) -> frozenset[str]:
    """Package functions run through ``sync.Once`` (``once.Do(loadConfig)``) or by flag
    parsing (``fs.Var(flagFunc(addEdit), …)``, ``flag.Func("x", …, parseX)``)."""
    names = set()
    for f in pkg.files:
        for ident in _callback_arguments(f):
            name = text(ident)
            if name in pkg.funcs and (once_argument(ident) or _flag_callback(ident)) and (
                not f.is_local(ident)
            ):
                names.add(name)
    return frozenset(names)


# Method values passed as arguments, asked of the files that mention ``.Do(``: not combined.
_METHOD_VALUES = apart("(argument_list (selector_expression field: (field_identifier) @m))")
_FLAG_CALLBACKS = frozenset({"Var", "Func", "BoolFunc"})
_ONCE_OR_FLAG_CALL = re.compile(rb"\.\s*(?:Do|Var|Func|BoolFunc)\s*\(")


def _callback_arguments(f: FileModel) -> list[Node]:
    """The identifiers among the arguments of ``x.Do(…)``, ``x.Var(…)``, ``x.Func(…)``,
    ``x.BoolFunc(…)`` calls, and of calls nested in them up to four deep (``flagFunc(f)``):
    found from the calls' text, without a query over the whole file."""
    found: dict[int, Node] = {}
    for match in _ONCE_OR_FLAG_CALL.finditer(f.source):
        paren = match.end() - 1
        token = f.root.descendant_for_byte_range(paren, paren + 1)
        args = token.parent if token is not None else None
        level = [args] if args is not None and args.type == "argument_list" else []
        for _ in range(4):
            deeper = []
            for arglist in level:
                for arg in arglist.named_children:
                    if arg.type == "identifier":
                        found.setdefault(arg.id, arg)
                    elif arg.type == "call_expression":
                        inner = arg.child_by_field_name("arguments")
                        if inner is not None:
                            deeper.append(inner)
            level = deeper
    return sorted(found.values(), key=lambda n: n.start_byte)


def _flag_callback(ident: Node) -> bool:
    """A function value among the arguments of a flag set's ``Var``/``Func``/``BoolFunc``."""
    node = ident.parent
    for _ in range(4):  # through a conversion or two: flagFunc(addEdit)
        if node is None or node.type != "argument_list":
            return False
        call = node.parent
        fn = call.child_by_field_name("function") if call is not None else None
        if fn is not None and fn.type == "selector_expression" and text(
            fn.child_by_field_name("field")
        ) in _FLAG_CALLBACKS:
            return True
        node = call.parent if call is not None else None
    return False


@package_fact()
def once_methods(pkg: Package) -> frozenset[int]:
    """Methods run through ``sync.Once`` as method values: ``once.Do(gd.init)``."""
    found_ids: set[int] = set()
    for f in pkg.files:
        if b".Do(" not in f.source:
            continue
        for field in f.captures(_METHOD_VALUES).get("m", []):
            selector = field.parent
            assert selector is not None  # the pattern's selector_expression
            if not once_argument(selector):
                continue
            name = text(field)
            found = [m[name] for m in pkg.methods.values() if name in m]
            if len(found) == 1:
                found_ids.add(found[0].node.id)
    return frozenset(found_ids)


@package_fact(requires=(once_functions, once_methods))
def named_init_functions(pkg: Package) -> NamedInit:
    """The declarations that run at init time by what they are (``init``, ``TestMain``,
    ``once.Do`` and flag callbacks, flag ``Set`` methods)."""
    return _named_init_functions(pkg, registration=False)


@package_fact(requires=(once_functions, once_methods))
def named_init_or_registration_functions(pkg: Package) -> NamedInit:
    """``named_init_functions`` and the ``Register…`` functions and methods (by Go convention
    called from other packages' ``init``)."""
    return _named_init_functions(pkg, registration=True)


@package_fact(requires=(named_init_functions,))
def init_functions(pkg: Package) -> frozenset[int]:
    """Node ids of the function and method declarations that run only at init time: the
    named ones and the unexported helpers only they call."""
    return _init_functions(pkg, registration=False)


@package_fact(requires=(named_init_or_registration_functions,))
def init_or_registration_functions(pkg: Package) -> frozenset[int]:
    """``init_functions`` counting ``Register…`` functions and methods as init time."""
    return _init_functions(pkg, registration=True)


_NAMED_INIT = {False: named_init_functions, True: named_init_or_registration_functions}
_INIT = {False: init_functions, True: init_or_registration_functions}


@package_fact()
def globally_held_types(pkg: Package) -> frozenset[str]:
    """Types of the package that some package-level variable (outside tests) holds: the
    candidates of ``global_only_types``, cheap to know."""
    held: set[str] = set()
    for name, decl in pkg.vars.items():
        if decl.file.is_test:
            continue  # a test's package-level instance says nothing about production code
        t = pkg.var_type(name).deref()
        if t.kind == "named" and t.name in pkg.types:
            held.add(t.name)
    return frozenset(held)


@package_fact(requires=(globally_held_types, named_init_functions, init_functions))
def global_only_types(pkg: Package) -> frozenset[str]:
    """Struct (or map) types of the package whose every instance is package-level."""
    held_globally = pkg.facts.get(globally_held_types)
    elsewhere: set[str] = set()
    for f in pkg.files if held_globally else ():
        caps = f.captures(_INSTANTIATIONS)
        # Only the instances of globally held types matter (the cheap test first).
        for node in caps.get("lit", []):
            if text(node) in held_globally and not is_init_time(pkg, node, False, f=f):
                elsewhere.add(text(node))
        for node in caps.get("new", []):
            if text(node) not in held_globally:
                continue
            call = node.parent.parent if node.parent is not None else None
            fn = call.child_by_field_name("function") if call is not None else None
            if fn is not None and text(fn) == "new" and not is_init_time(pkg, node, False, f=f):
                elsewhere.add(text(node))
        for node in caps.get("var", []):
            if text(node) in held_globally and context_of(node, f) is not None and (
                not is_init_time(pkg, node, False, f=f)
            ):
                elsewhere.add(text(node))
        for node in caps.get("field", []):
            elsewhere.add(text(node))
    return frozenset(held_globally - elsewhere)


class HeldOnlyGlobally:
    """The ``Ref.long_lived`` of a receiver whose type some package-level variable holds: true
    when every instance of the type is package-level (``global_only_types``).

    Answered when first asked: the question needs the package's call graph, and most walks
    resolve receivers for removals and hand-offs, which never ask it.
    """

    __slots__ = ("_answer", "pkg", "type_name")

    def __init__(self, pkg: Package, type_name: str) -> None:
        self.pkg = pkg
        self.type_name = type_name
        self._answer: bool | None = None

    def __bool__(self) -> bool:
        if self._answer is None:
            self._answer = self.type_name in self.pkg.facts.get(global_only_types)
        return self._answer


@dataclass(frozen=True)
class Ref:
    """What an expression denotes: a path from a package-level root, its type, and whether the
    value it reaches is long-lived (held by a package-level variable).

    Paths are normalised so that every way to reach the same state compares equal: through a
    named struct or map type of the package the path restarts at ``("type", Name)``.
    """

    path: tuple[str, ...]
    type: TypeRef
    long_lived: bool | HeldOnlyGlobally  # test it for truth (``HeldOnlyGlobally`` is lazy)
    decl: tuple[str, ...] = ()  # ("var", name) or ("field", type, field): see ``declaration``
    in_map: bool = False  # reached through a map element (``m[k].items``): one entry's state


_ACCESS_PATH = frozenset({"selector_expression", "index_expression", "parenthesized_expression",
                          "unary_expression"})


def access_root(target: Node) -> Node | None:
    """The identifier an access path starts from (``c.items[k].v`` → ``c``, past ``*``, ``&``
    and parentheses), or None when it starts elsewhere (a call, a literal)."""
    node = target
    while node.type in _ACCESS_PATH:
        inner = node.child_by_field_name("operand")
        if inner is None:
            inner = node.named_children[0] if node.named_child_count else None
        if inner is None:
            return None
        node = inner
    return node if node.type == "identifier" else None


class Resolver:
    """Resolves expressions of one function to ``Ref``s (receivers, aliases, fields, indexes)."""

    def __init__(self, pkg: Package, f: FileModel, function: Node | None) -> None:
        self.pkg = pkg
        self.file = f
        self.aliases: dict[str, Ref] = {}
        self.receiver = ""
        self.receiver_type = ""
        if function is not None and function.type == "method_declaration":
            self.receiver = receiver_name(function)
            self.receiver_type = receiver_type_name(function)

    def normalise(self, path: tuple[str, ...], t: TypeRef) -> tuple[str, ...]:
        named = t.deref()
        if (
            named.kind == "named"
            and named.name in self.pkg.types
            and self.pkg.underlying(named).kind in ("struct", "map")
        ):
            return ("type", named.name)
        return path

    def copies_state(self, root: Node) -> bool:
        """``meta := table[k]`` or ``c := globalConfig`` of a struct value: the local is a copy,
        and writing its fields leaves package state alone."""
        ref = self.aliases.get(text(root)) if root.type == "identifier" else None
        if ref is None or not self.file.is_local(root):
            return False
        return ref.type.kind != "pointer" and self.pkg.underlying(ref.type).kind == "struct"

    def resolve(self, expr: Node | None) -> Ref | None:
        """The ``Ref`` of an expression, or None when it is not reached from package state."""
        if expr is None:
            return None
        # Cheap first: what resolves starts (past `(`, `*`, `&`) with a package var, an alias
        # or the receiver. Rules ask this of most calls' arguments; most are none of those.
        m = _LEADING_NAME.match(self.file.source, expr.start_byte, expr.end_byte)
        if m is not None:
            name = m.group(1).decode()
            if name not in self.aliases and name != self.receiver and name not in self.pkg.vars:
                return None
        return self._resolve(expr)

    def _resolve(self, expr: Node | None) -> Ref | None:
        if expr is None:
            return None
        kind = expr.type
        if kind == "parenthesized_expression" and expr.named_child_count:
            return self._resolve(expr.named_children[0])
        if kind == "unary_expression" and text(expr.child_by_field_name("operator")) in ("*", "&"):
            return self._resolve(expr.child_by_field_name("operand"))
        if kind == "identifier":
            return self._identifier(expr)
        if kind == "selector_expression":
            owner = self._resolve(expr.child_by_field_name("operand"))
            if owner is None:
                return None
            name = text(expr.child_by_field_name("field"))
            ftype = self.pkg.field_type(owner.type, name)
            if ftype.kind == "unknown":
                return None
            path = self.normalise((*owner.path, name), ftype)
            owner_name = owner.type.deref().name if owner.type.deref().kind == "named" else ""
            return Ref(path, ftype, owner.long_lived, ("field", owner_name, name), owner.in_map)
        if kind == "index_expression":
            container = self._resolve(expr.child_by_field_name("operand"))
            if container is None:
                return None
            under = self.pkg.underlying(container.type.deref())
            if under.kind != "map" or under.elem is None:
                return None
            elem = under.elem
            return Ref(container.path, elem, container.long_lived, container.decl, True)
        return None

    def _identifier(self, ident: Node) -> Ref | None:
        name = text(ident)
        if name not in self.aliases and name != self.receiver and name not in self.pkg.vars:
            return None  # what every branch below concludes, without the scope lookup
        if self.file.is_local(ident):
            if name in self.aliases:
                return self.aliases[name]
            if name == self.receiver and self.receiver_type in self.pkg.types:
                t = TypeRef("named", name=self.receiver_type)
                return Ref(
                    self.normalise(("recv", name), t), t,
                    HeldOnlyGlobally(self.pkg, self.receiver_type)
                    if self.receiver_type in self.pkg.facts.get(globally_held_types) else False,
                    ("type", self.receiver_type),
                )
            return None
        decl = self.pkg.vars.get(name)
        if decl is None:
            return None
        t = self.pkg.var_type(name)
        if t is UNKNOWN:
            return None
        return Ref(self.normalise(("var", name), t), t, True, ("var", name))


def declared_here(pkg: Package, key: tuple[str, ...]) -> tuple[tuple[FileModel, Node, str], ...]:
    """A finding's related location "declared here" for a ``Ref.decl`` key (none when unknown)."""
    found = declaration(pkg, key)
    return ((found[0], found[1], "declared here"),) if found is not None else ()


def declaration(pkg: Package, key: tuple[str, ...]) -> tuple[FileModel, Node] | None:
    """Where a ``Ref.decl`` key is declared: a package var, a type, or a struct field."""
    if not key:
        return None
    if key[0] == "var" and key[1] in pkg.vars:
        return pkg.vars[key[1]].file, pkg.vars[key[1]].node
    decl = pkg.types.get(key[1])
    if decl is None:
        return None
    if key[0] == "type":
        return decl.file, decl.node
    fields = decl.file.captures("(field_declaration name: (field_identifier) @f)", decl.node)
    for field in fields.get("f", []):
        if text(field) == key[2]:
            return decl.file, field
    return None


def resolver_at(pkg: Package, f: FileModel, node: Node) -> Resolver:
    """A ``Resolver`` for the function around ``node`` that knows the aliases of package state
    (``items := globalCache.items``) declared in that function before ``node``.

    For rules that look at a few places of a function instead of walking all of it.
    """
    function = enclosing_function(node)
    resolver = Resolver(pkg, f, function)
    if function is None:
        return resolver
    for name, end, ref in _function_aliases(pkg, f, function):
        if end > node.start_byte:
            break
        if ref is None:
            resolver.aliases.pop(name, None)
        else:
            resolver.aliases[name] = ref
    return resolver


Aliases = list[tuple[str, int, "Ref | None"]]


@package_fact()
def function_aliases(pkg: Package) -> dict[int, Aliases]:
    """The local (re)bindings of package state in each function, by the function's node id:
    a memo filled on first question (``resolver_at``)."""
    return {}


def _function_aliases(pkg: Package, f: FileModel, function: Node) -> Aliases:
    """(name, where it takes effect, Ref or None) for each local (re)binding of a function."""
    cache = pkg.facts.get(function_aliases)
    found = cache.get(function.id)
    if found is not None:
        return found
    found = []
    resolver = Resolver(pkg, f, function)
    pattern = "(short_var_declaration) @d (assignment_statement) @d"
    for statement in f.captures(pattern, function).get("d", []):
        left = statement.child_by_field_name("left")
        right = statement.child_by_field_name("right")
        if left is None or right is None:
            continue
        declaring = statement.type == "short_var_declaration"
        same = left.named_child_count == right.named_child_count
        for i, name in enumerate(left.named_children):
            if name.type != "identifier" or (not declaring and not f.is_local(name)):
                continue
            ref = resolver.resolve(right.named_children[i]) if declaring and same else None
            if ref is None:
                resolver.aliases.pop(text(name), None)
            else:
                resolver.aliases[text(name)] = ref
            found.append((text(name), statement.end_byte, ref))
    cache[function.id] = found
    return found


def lazy_initialisation(statement: Node, target: Node) -> bool:
    """``if m == nil { m = make(…) }`` or a ``once.Do(func() { m = … })``: not a reset."""
    name = text(target)
    parent = statement.parent
    while parent is not None and parent.type not in ("function_declaration", "method_declaration"):
        if parent.type == "if_statement":
            cond = text(parent.child_by_field_name("condition")).replace(" ", "")
            if f"{name}==nil" in cond or f"nil=={name}" in cond:
                return True
        if parent.type == "func_literal":
            call = parent.parent.parent if parent.parent is not None else None
            if call is not None and call.type == "call_expression":
                fn = call.child_by_field_name("function")
                if fn is not None and fn.type == "selector_expression" and text(
                    fn.child_by_field_name("field")
                ) == "Do":
                    return True
        parent = parent.parent
    return False
