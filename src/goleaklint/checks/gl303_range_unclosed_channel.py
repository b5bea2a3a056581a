"""GL303 range-unclosed-channel: a goroutine ranging over a channel that is never closed."""

from __future__ import annotations

from collections import Counter

from ..channels import (
    Goroutine,
    closes,
    escapes,
    goroutines,
    is_quit_receive,
    local_bindings,
    made_channels,
    receives,
)
from ..deadcode import never_runs
from ..fieldchannels import foreign_field
from ..flow import FlowCache
from ..goroutinerule import GoroutineRule
from ..localtypes import expression_type
from ..loopexits import early_exits, has_exit, is_endless
from ..model import FUNCTION_NODES, FileModel, Package
from ..plugins import hookimpl
from ..queries import apart
from ..rule import Rule, RuleContext
from ..singletons import started_for_the_process
from ..syntax import Node, text

# ``close(x.field)``, asked of the files that mention ``close(`` only: never combined.
_CLOSED_FIELDS = apart("(call_expression function: (identifier) @f "
                       "arguments: (argument_list (selector_expression) @x))")


class RangeUnclosedChannel(GoroutineRule):
    """## What it finds
    A goroutine that ranges over a channel, or receives from it in an endless loop with no
    other way out, while nothing in scope ever closes that channel. Only channels whose every
    user is visible count: made in the function that starts the goroutine, or a channel field
    of a type of the same package.

    ## Why it leaks
    `for v := range ch` ends only when `ch` is closed. If no code closes it, the goroutine
    waits forever once the producers are done, keeping its stack and every value it references.
    Worker pools whose job channel is never closed leak one goroutine per worker per use.

    ## Example
    ```go
    package pool

    func Sum(values []int) int {
    	jobs := make(chan int)
    	results := make(chan int, len(values))
    	go func() {
    		for v := range jobs {
    			results <- v * v
    		}
    	}()
    	for _, v := range values {
    		jobs <- v
    	}
    	total := 0
    	for range values {
    		total += <-results
    	}
    	return total
    }
    ```

    ## Use instead
    ```go
    package pool

    func Sum(values []int) int {
    	jobs := make(chan int)
    	results := make(chan int, len(values))
    	go func() {
    		for v := range jobs {
    			results <- v * v
    		}
    	}()
    	for _, v := range values {
    		jobs <- v
    	}
    	close(jobs)
    	total := 0
    	for range values {
    		total += <-results
    	}
    	return total
    }
    ```

    ## Known limits
    Silent for package-level channels, channels received as parameters, channels passed to
    other functions (they may close them), channels closed through a method of the same type,
    timer and ticker channels (`time.Ticker.C`, and any field of type `chan time.Time` such
    as a clock mock's `C`: never closed by design; GL304 reports a loop on one that cannot
    end), and `select` loops with an exit case. A channel field counts only when the package
    owns it: every value it is given in the package is the package's own `make` (directly or
    through a local bound to one and not closed under that name); a field filled from another
    package's call (`ssh.NewServerConn`'s channels, a `Subscribe()` result), from a parameter,
    from another field, or by a positional composite literal belongs to its producer. Test
    files are not read when judging fields of non-test code. Goroutines started once per
    process (as GL304 reads it: `init`, `main`, a package-level `sync.Once`, a package-level
    guard), the goroutines of an `ExampleXxx` without `// Output:`, and goroutines that never
    start (past an unconditional `t.Skip*` or a `return`, or in a test helper only such code
    calls; a skip under a condition, `if testing.Short() { t.Skip() }`, keeps the rest live)
    are not reported. A local declared once as another name for the channel (`out := ch`,
    `var in <-chan T = ch`) is the same channel: ranging over it, or closing it, counts; a
    local rebound later (`out = other`) is not followed. A goroutine started through a local
    bound once to a function literal (`visit := func() {…}; go visit()`) runs that literal;
    a function value from elsewhere (a parameter, a field) is not looked into.

    ## Peers
    No static linter in common use; uber-go/goleak finds these at test time.
    """

    id = "GL303"
    name = "range-unclosed-channel"
    family = "goroutines"
    summary = "A goroutine ranges over a channel that nothing ever closes."
    level = "warning"
    tier = "opt-in"  # measured below the default bar on real code (bench/precision)
    tags = ("goroutines", "leak", "channels")

    def check_function(self, function: Node, file: FileModel) -> None:
        made = made_channels(function, file)
        every = goroutines(function, file, self.package, through_values=True)
        starts = [g.statement for g in every]
        gs = [g for g in every if not (never_runs(self.flows, file, g.statement)
                                       or started_for_the_process(self.package, file,
                                                                  g.statement))]
        body = function.child_by_field_name("body")
        aliases = local_aliases(file, function, set(made)) if made else {}
        for g in every:  # a literal sees the aliases it captures under their own names
            if g.literal and g.body is not None:
                for alias in aliases:
                    if alias not in g.names and _captures(g.source, g.body, alias):
                        g.names[alias] = alias
        for g in gs:
            if g.body is None:
                continue
            for name, inner in g.names.items():
                channel = aliases.get(name, name)
                if channel not in made or body is None:
                    continue
                waits = _waits_forever_on(self.flows, g.source, g.body, inner)
                if not waits:
                    continue
                names = {channel} | {a for a, c in aliases.items() if c == channel}
                if any(closes(file, body, n) for n in names) or closes(g.source, g.body, inner):
                    continue
                if any(escapes(file, function, n, starts, pkg=self.package) for n in names):
                    continue
                if any(other is not g and other.body is not None and other.names.get(n)
                       and closes(other.source, other.body, other.names[n])
                       for other in every for n in names):
                    continue
                for node in waits:
                    self.report(node, f"this goroutine waits on {name} forever: nothing closes "
                                f"{name}, so the loop never ends", _started_at(g),
                                file=g.source)
        self._field_channels(gs, file)

    def _field_channels(self, gs: list[Goroutine], file: FileModel) -> None:
        """A goroutine waiting on ``x.jobs``: a channel field nobody in the package closes."""
        for g in gs:
            if g.body is None:
                continue
            fields = {text(sel) for sel in g.source.captures(
                "[(range_clause right: (selector_expression) @s) "
                "(unary_expression operator: \"<-\" operand: (selector_expression) @s)]",
                g.body).get("s", [])}
            for spelled in sorted(fields):
                field = spelled.rsplit(".", 1)[-1]
                if not self._owned_open_field(field, file.is_test):
                    continue
                for node in _waits_forever_on(self.flows, g.source, g.body, spelled):
                    self.report(node, f"this goroutine waits on {spelled} forever: no code in "
                                f"package {self.package.name} closes the {field} field",
                                _started_at(g), file=g.source)

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        # (field name, test code?) -> owned by the package and never closed
        self._fields: dict[tuple[str, bool], bool] = {}

    def _channel_owners(self, field: str) -> set[str]:
        """Struct types of the package with a channel field named ``field``."""
        return {name for name, decl in self.package.types.items()
                if decl.type.kind == "struct"
                and any(n == field and t.kind == "chan" for n, t in decl.type.fields)}

    def _owned_open_field(self, field: str, tests: bool) -> bool:
        """A channel field of the package's types that only the package fills (with its own
        ``make``), that is not a timer's channel (``C <-chan time.Time``: never closed by
        design; GL304 judges a loop on it) and that nothing closes."""
        known = self._fields.get((field, tests))
        if known is None:
            owners = self._channel_owners(field)
            known = self._fields[(field, tests)] = bool(owners) and not _time_channel(
                self.package, field, owners) and not foreign_field(
                self.package, field, owners, tests) and not self._field_closed(field)
        return known

    def _field_closed(self, field: str) -> bool:
        """``close(x.field)`` anywhere in the package, on a value of an owning type (or of a
        type the syntax does not tell)."""
        owners = self._channel_owners(field)
        for f in self.package.files:
            if b"close(" not in f.source:
                continue
            for sel in f.captures(_CLOSED_FIELDS).get("x", []):
                call = sel.parent.parent if sel.parent else None  # (the query's call)
                fn = call.child_by_field_name("function") if call is not None else None
                if fn is None or text(fn) != "close" or text(
                    sel.child_by_field_name("field")) != field:
                    continue
                owner = expression_type(sel.child_by_field_name("operand"), self.package,
                                        f).deref()
                if owner.kind != "named" or owner.name in owners:
                    return True
        return False


def local_aliases(f: FileModel, function: Node, channels: set[str]) -> dict[str, str]:
    """Locals of ``function`` declared as another name for one of ``channels`` (``out := ch``,
    ``var in <-chan T = ch``, chains included), mapped to the channel's name."""
    pairs: list[tuple[str, str]] = []
    bound: Counter[str] = Counter()  # an alias bound once only: never rebound to another
    for holder, names, values in local_bindings(f, function):
        bound.update(text(n) for n in names)
        if len(values) == len(names) and holder.type != "assignment_statement":
            pairs += [(text(n), text(v)) for n, v in zip(names, values, strict=True)
                      if v.type == "identifier" and n.type == "identifier"]
    found: dict[str, str] = {}
    changed = True
    while changed:  # ``a := ch; b := a``
        changed = False
        for alias, source in pairs:
            channel = source if source in channels else found.get(source)
            if channel is not None and alias not in found and alias not in channels and (
                bound[alias] == 1
            ):
                found[alias] = channel
                changed = True
    return found


def _captures(f: FileModel, body: Node, name: str) -> bool:
    return any(text(i) == name for i in f.captures("(identifier) @i", body).get("i", []))


def _time_channel(pkg: Package, field: str, owners: set[str]) -> bool:
    """Every owner declares ``field`` as a channel of ``time.Time`` (a ticker or timer)."""
    types = [t for name in owners for n, t in pkg.types[name].type.fields if n == field]
    return bool(types) and all(
        t.elem is not None and t.elem.qualified_name == "time.Time" for t in types)


def _started_at(g: Goroutine) -> tuple[tuple[FileModel, Node, str], ...]:
    """The ``go`` statement as a related location when the loop is in another file."""
    if g.body_file is None:
        return ()
    return ((g.file, g.statement, "the goroutine is started here"),)


def _waits_forever_on(flows: FlowCache, f: FileModel, body: Node, name: str) -> list[Node]:
    """``for … range name`` loops, and endless loops whose only blocking step is ``<-name``."""
    found = []
    for r in receives(f, body, name):
        if r.type == "range_clause":
            loop = r.parent
            if loop is not None and loop.type == "for_statement" and not has_exit(flows, f, loop):
                found.append(loop)
            continue
        loop = r.parent
        while loop is not None and loop.type != "for_statement" and loop.type not in FUNCTION_NODES:
            if loop.type in ("communication_case", "select_statement"):
                loop = None
                break
            loop = loop.parent
        if loop is None or loop.type != "for_statement":
            continue
        if is_endless(loop) and not _other_blocking(f, loop, r) and (
            not has_exit(flows, f, loop) or _exits_only_on_close(flows, f, loop, r)
        ):
            found.append(r)
    return found


def _exits_only_on_close(flows: FlowCache, f: FileModel, loop: Node, receive: Node) -> bool:
    """``v, ok := <-ch; if !ok { return }``: the loop ends only when ``ch`` is closed."""
    holder = receive.parent.parent if receive.parent is not None else None
    if holder is None or holder.type not in ("short_var_declaration", "assignment_statement"):
        return False
    left = holder.child_by_field_name("left")
    if left is None or left.named_child_count != 2:
        return False
    ok = text(left.named_children[1])
    inner = loop.child_by_field_name("body")
    if inner is None or is_quit_receive(f, inner):
        return False
    for e in early_exits(flows, f, loop):
        parent = e.parent
        guarded = False
        while parent is not None and parent.id != loop.id:
            if parent.type == "if_statement" and text(
                parent.child_by_field_name("condition")
            ).replace(" ", "") == f"!{ok}":
                guarded = True
                break
            parent = parent.parent
        if not guarded:
            return False
    return True


def _other_blocking(f: FileModel, loop: Node, receive: Node) -> bool:
    inner = loop.child_by_field_name("body")
    if inner is None:
        return False
    pattern = '[(send_statement) (select_statement) (unary_expression operator: "<-")] @b'
    others = f.captures(pattern, inner).get("b", [])
    return any(o.id != receive.id for o in others)


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [RangeUnclosedChannel]
