"""What a same-package function does with a channel it is handed, followed into the callee."""

from __future__ import annotations

from pathlib import Path

import pytest

from goleaklint.discover import Module, SourceFile
from goleaklint.model import FileModel, Package
from goleaklint.paramchannels import (
    ANYTHING,
    CLOSES,
    HANDS_ON,
    NOTHING,
    RECEIVES,
    SENDS,
    ParamChannels,
    inert,
)
from goleaklint.syntax import captures, text

SOURCE = """package p

import (
	"log"
	"sync"
)

type Reader interface{ Read(ch chan int) }

type S struct {
	mu   sync.Mutex
	keep chan int
	r    Reader
}

func depth(ch chan int) int            { return len(ch) + cap(ch) }
func post(ch chan<- int, v int)        { select { case ch <- v: default: } }
func wait(ch chan int) int             { return <-ch }
func drain(ch chan int)                { for range ch {} }
func pick(ch chan int, q chan bool)    { select { case <-ch: case <-q: } }
func finish(ch chan int)               { close(ch) }
func later(ch chan int)                { go func() { <-ch }() }
func spawn(ch chan int)                { go wait(ch) }
func ret(ch chan int) chan int         { return ch }
func alias(ch chan int)                { c := ch; _ = c }
func forward(ch chan int, out chan chan int) { out <- ch }
func printed(ch chan int)              { log.Println(ch) }
func nilcheck(ch chan int)             { if ch == nil { return }; _ = ch }
func unnamed(_ chan int, n int)        { _ = n }
func all(chs ...chan int)              { for _, c := range chs { <-c } }
func twice(ch chan int)                { depth(ch); post(ch, 1) }
func deep(ch chan int)                 { twice(ch); wait(ch) }
func self(ch chan int, n int)          { if n > 0 { self(ch, n-1) } }
func ping(ch chan int, n int)          { if n > 0 { pong(ch, n-1) } }
func pong(ch chan int, n int)          { ping(ch, n); <-ch }
func inline(ch chan int)               { func() { <-ch }() }
func deferred(ch chan int)             { defer func() { _ = len(ch) }() }
func kept(ch chan int) func() int      { return func() int { return <-ch } }
func (s *S) store(ch chan int)         { s.mu.Lock(); s.keep = ch; s.mu.Unlock() }
func (s S) count(ch chan int) int      { return len(ch) }

func probe(ch chan int, s *S, q chan bool, out chan chan int) {
	depth(ch)
	post(ch, 1)
	wait(ch)
	drain(ch)
	pick(ch, q)
	finish(ch)
	later(ch)
	spawn(ch)
	ret(ch)
	alias(ch)
	forward(ch, out)
	printed(ch)
	nilcheck(ch)
	unnamed(ch, 1)
	all(ch)
	twice(ch)
	deep(ch)
	self(ch, 3)
	ping(ch, 3)
	inline(ch)
	deferred(ch)
	kept(ch)
	s.store(ch)
	s.count(ch)
	s.r.Read(ch)
	fn := s.count
	fn(ch)
	func(c chan int) { <-c }(ch)
	func(c chan int) { _ = len(c) }(ch)
	log.Print(ch)
}
"""

CASES = [
    ("depth(ch)", NOTHING),
    ("post(ch, 1)", frozenset({SENDS})),
    ("wait(ch)", frozenset({RECEIVES})),
    ("drain(ch)", frozenset({RECEIVES})),
    ("pick(ch, q)", frozenset({RECEIVES})),
    ("finish(ch)", frozenset({CLOSES})),
    ("later(ch)", frozenset({HANDS_ON})),  # a goroutine receives after the call
    ("spawn(ch)", frozenset({HANDS_ON})),
    ("ret(ch)", frozenset({HANDS_ON})),
    ("alias(ch)", frozenset({HANDS_ON})),
    ("forward(ch, out)", frozenset({HANDS_ON})),
    ("printed(ch)", ANYTHING),  # another package's function
    ("nilcheck(ch)", NOTHING),
    ("unnamed(ch, 1)", NOTHING),  # a `_` parameter is never read
    ("all(ch)", ANYTHING),  # a variadic parameter
    ("twice(ch)", frozenset({SENDS})),
    ("deep(ch)", frozenset({SENDS, RECEIVES})),
    ("self(ch, 3)", ANYTHING),  # recursion through the parameter: the guard's answer
    ("ping(ch, 3)", ANYTHING),
    ("inline(ch)", frozenset({RECEIVES})),  # a literal called on the spot runs in the call
    ("deferred(ch)", NOTHING),
    ("kept(ch)", frozenset({HANDS_ON})),  # a literal returned: called later
    ("s.store(ch)", frozenset({HANDS_ON})),  # a method through a pointer receiver
    ("s.count(ch)", NOTHING),
    ("s.r.Read(ch)", ANYTHING),  # an interface method
    ("fn(ch)", ANYTHING),  # a method value
    ("func(c chan int) { <-c }(ch)", frozenset({RECEIVES})),
    ("func(c chan int) { _ = len(c) }(ch)", NOTHING),
    ("log.Print(ch)", ANYTHING),
]


@pytest.fixture(scope="module")
def effects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, frozenset[str]]:
    folder = tmp_path_factory.mktemp("p")
    path = folder / "p.go"
    path.write_text(SOURCE)
    fm = FileModel(SourceFile(path, SOURCE.encode(), True))
    pkg = Package.build(folder, "p", Module(None, (1, 22), None), [fm])
    callees = ParamChannels(pkg)
    found = {}
    probe = pkg.funcs["probe"].node
    for call in captures("(expression_statement (call_expression) @c)", probe).get("c", []):
        index = [text(a) for a in call.child_by_field_name("arguments").named_children
                 ].index("ch")
        found[text(call)] = callees.effects_of_call(fm, call.child_by_field_name("function"),
                                                   index)[0]
    return found


@pytest.mark.parametrize(("call", "expected"), CASES, ids=[c for c, _ in CASES])
def test_effects_of_handing_a_channel_to(call: str, expected: frozenset[str],
                                        effects: dict[str, frozenset[str]]) -> None:
    assert effects[call] == expected


def test_only_a_callee_that_neither_receives_closes_nor_hands_on_is_inert() -> None:
    assert inert(NOTHING) and inert(frozenset({SENDS}))
    assert not any(inert(frozenset({e})) for e in (RECEIVES, CLOSES, HANDS_ON))


def test_the_answer_does_not_depend_on_the_order_of_questions(tmp_path: Path) -> None:
    """A function first reached below the depth bound is asked again at the top: the cut
    answer is not remembered."""
    chain = "\n".join(f"func f{i}(ch chan int) {{ f{i + 1}(ch) }}" for i in range(12))
    source = f"package p\n\n{chain}\nfunc f12(ch chan int) {{ _ = len(ch) }}\n"
    path = tmp_path / "p.go"
    path.write_text(source)
    fm = FileModel(SourceFile(path, source.encode(), True))
    pkg = Package.build(tmp_path, "p", Module(None, (1, 22), None), [fm])
    callees = ParamChannels(pkg)
    top = pkg.funcs["f0"]
    assert callees.effects_on_parameter(fm, top.node, 0) == (ANYTHING, False)  # too deep
    low = pkg.funcs["f8"]
    assert callees.effects_on_parameter(fm, low.node, 0) == (NOTHING, True)


def test_a_function_declared_once_per_build_may_receive_in_any_of_them(tmp_path: Path) -> None:
    """``x_linux.go`` and ``x_other.go`` both declare ``settle``: the package model keeps one,
    and the other may be the one that receives."""
    sources = {
        "settle_linux.go": "//go:build linux\n\npackage p\n\n"
                           "func settle(ch chan int) { <-ch }\n\n"
                           "type T struct{}\n\nfunc (T) wait(ch chan int) { <-ch }\n",
        "settle_other.go": "//go:build !linux\n\npackage p\n\n"
                           "func settle(ch chan int) { _ = len(ch) }\n\n"
                           "func (T) wait(ch chan int) { _ = len(ch) }\n",
        "use.go": "package p\n\nfunc use(ch chan int, t T) {\n\tsettle(ch)\n\tt.wait(ch)\n"
                  "\tdepth(ch)\n}\n\nfunc depth(ch chan int) int { return len(ch) }\n",
    }
    files = []
    for name, source in sources.items():
        (tmp_path / name).write_text(source)
        files.append(FileModel(SourceFile(tmp_path / name, source.encode(), True)))
    pkg = Package.build(tmp_path, "p", Module(None, (1, 22), None), files)
    callees = ParamChannels(pkg)
    use = files[2]
    calls = captures("(expression_statement (call_expression) @c)", use.root).get("c", [])
    found = {text(c): callees.effects_of_call(use, c.child_by_field_name("function"), 0)[0]
             for c in calls}
    assert found == {"settle(ch)": ANYTHING, "t.wait(ch)": ANYTHING, "depth(ch)": NOTHING}
