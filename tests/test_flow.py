"""The control-flow graph: edges for Go's statements, and the path search rules rely on."""

from __future__ import annotations

import pytest

from goleaklint.flow import CFG, Block, find_escape
from goleaklint.syntax import Node, parse, text


def graph(body: str) -> tuple[CFG, Node]:
    tree = parse(f"package p\n\nfunc f() {{\n{body}\n}}\n".encode())
    fn = tree.root_node.named_children[1]
    return CFG(fn.child_by_field_name("body")), fn


def block(cfg: CFG, source: str) -> Block:
    for b in cfg.blocks:
        if b.node is not None and text(b.node) == source:
            return b
    raise AssertionError(f"no block {source!r} in {cfg.blocks}")


def escapes(body: str, start: str, release: str) -> bool:
    cfg, _ = graph(body)
    return find_escape(
        cfg, block(cfg, start), lambda b: b.node is not None and text(b.node) == release
    ) is not None


@pytest.mark.parametrize(
    ("body", "leaks"),
    [
        ("open()\nclose()", False),
        ("open()\nif c {\n\treturn\n}\nclose()", True),
        ("open()\nif c {\n\tclose()\n\treturn\n}\nclose()", False),
        ("open()\nif c {\n\tpanic(1)\n}\nclose()", False),
        ("open()\nif c {\n\tos.Exit(1)\n}\nclose()", False),
        ("open()\nif c {\n\tt.Fatalf(\"x\")\n}\nclose()", False),
        ("open()\nfor {\n\twork()\n}", False),  # never returns
        ("open()\nfor {\n\tif c {\n\t\tbreak\n\t}\n}\nclose()", False),
        ("open()\nfor {\n\tif c {\n\t\treturn\n\t}\n}", True),
        # a break inside select leaves the select only
        ("open()\nfor {\n\tselect {\n\tcase <-ch:\n\t\tbreak\n\t}\n}", False),
        ("open()\nouter:\nfor {\n\tselect {\n\tcase <-ch:\n\t\tbreak outer\n\t}\n}", True),
        ("open()\nswitch x {\ncase 1:\n\treturn\ndefault:\n}\nclose()", True),
        ("open()\nswitch x {\ncase 1:\n\tfallthrough\ncase 2:\n\tclose()\n\treturn\n}\nclose()",
         False),
        ("open()\nselect {\ncase <-a:\n\treturn\ncase <-b:\n}\nclose()", True),
        ("open()\ngoto done\nreturn\ndone:\nclose()", False),
        ("for i := 0; i < n; i++ {\n\topen()\n\tif c {\n\t\tcontinue\n\t}\n\tclose()\n}", True),
        ("for i := 0; i < n; i++ {\n\topen()\n\tclose()\n}", False),
    ],
)
def test_escape(body: str, leaks: bool) -> None:
    assert escapes(body, "open()", "close()") is leaks


def test_error_branch_can_be_pruned() -> None:
    cfg, _ = graph("f, err := open()\nif err != nil {\n\treturn\n}\nf.Close()")
    start = block(cfg, "f, err := open()")
    release = lambda b: b.node is not None and text(b.node) == "f.Close()"  # noqa: E731
    assert find_escape(cfg, start, release) is not None
    dead = lambda b, label: b.kind == "cond" and label is True  # noqa: E731
    assert find_escape(cfg, start, release, dead_edge=dead) is None


def test_function_literals_are_opaque() -> None:
    cfg, _ = graph("open()\ngo func() {\n\treturn\n}()\nclose()")
    assert not any(b.node is not None and text(b.node) == "return" for b in cfg.blocks)
    assert escapes("open()\ngo func() {\n\treturn\n}()\nclose()", "open()", "close()") is False


def test_returns() -> None:
    assert graph("for {\n}")[0].returns() is False
    assert graph("for {\n\tif c {\n\t\treturn\n\t}\n}")[0].returns() is True
    assert graph("panic(1)")[0].returns() is False
    assert graph("x()")[0].returns() is True


def first_loop(fn: Node, kind: str = "for_statement") -> Node:
    stack = [fn]
    while stack:
        node = stack.pop(0)
        if node.type == kind:
            return node
        stack.extend(node.named_children)
    raise AssertionError(f"no {kind}")


@pytest.mark.parametrize(
    ("body", "leaving"),
    [
        ("for {\n\twork()\n}", []),
        ("for {\n\tif c {\n\t\treturn\n\t}\n}", ["return"]),
        ("for {\n\tif c {\n\t\tbreak\n\t}\n}", ["break"]),
        ("for i := 0; i < n; i++ {\n\twork()\n}", []),  # its own condition is not counted
        ("for {\n\tpanic(1)\n}", []),  # leaves the function, not the loop
        ("for {\n\tselect {\n\tcase <-ch:\n\t\tbreak\n\t}\n}", []),
        ("for {\n\tswitch x {\n\tcase 1:\n\t\tbreak\n\t}\n}", []),
        ("outer:\nfor {\n\tselect {\n\tcase <-ch:\n\t\tbreak outer\n\t}\n}", ["break outer"]),
        ("for {\nagain:\n\tif c {\n\t\tgoto again\n\t}\n}", []),
        ("for {\n\tif c {\n\t\tgoto done\n\t}\n}\ndone:\nwork()", ["goto done"]),
        ("for {\n\tgo func() {\n\t\treturn\n\t}()\n}", []),  # the literal's own return
        ("for {\n\twork()\n\tselect {\n\tcase <-ch:\n\t}\n}", []),  # a head with no value
        ("for {\n\twork()\n\tswitch {\n\tcase c:\n\t}\n}", []),
    ],
)
def test_leaving(body: str, leaving: list[str]) -> None:
    cfg, fn = graph(body)
    assert [text(b.node) for b in cfg.leaving(first_loop(fn)) if b.node is not None] == leaving


@pytest.mark.parametrize(
    ("body", "leaving"),
    [
        ("for {\n\twork()\n}", []),
        ("for {\n\tpanic(1)\n}", ["panic(1)"]),  # leaves the function, and so the loop
        ("for {\n\tif c {\n\t\tos.Exit(1)\n\t}\n}", ["os.Exit(1)"]),
        ("for {\n\tif c {\n\t\treturn\n\t}\n}", ["return"]),
        ("for {\n\tgo func() {\n\t\tpanic(1)\n\t}()\n}", []),
    ],
)
def test_leaving_with_calls_that_end(body: str, leaving: list[str]) -> None:
    tree = parse(f"package p\n\nimport \"os\"\n\nfunc f() {{\n{body}\n}}\n".encode())
    fn = tree.root_node.named_children[2]
    cfg = CFG(fn.child_by_field_name("body"),
              lambda call: text(call.child_by_field_name("function")) in ("panic", "os.Exit"))
    assert [text(b.node) for b in cfg.leaving(first_loop(fn), ending=True)
            if b.node is not None] == leaving


def test_continue_of_an_outer_loop_leaves_the_inner_one() -> None:
    cfg, fn = graph("next:\nfor _, b := range bs {\n\tfor {\n\t\tif c {\n\t\t\tcontinue next\n"
                    "\t\t}\n\t}\n}")
    outer = first_loop(fn)
    body = outer.child_by_field_name("body")
    assert body is not None
    inner = first_loop(body)
    assert [text(b.node) for b in cfg.leaving(inner) if b.node is not None] == ["continue next"]
    assert cfg.leaving(outer) == []


@pytest.mark.parametrize(
    ("body", "again"),
    [
        ("for {\n\tdefer x()\n}", True),
        ("for {\n\tdefer x()\n\treturn\n}", False),
        ("for {\n\tdefer x()\n\tpanic(1)\n}", False),
        ("for {\n\tdefer x()\n\tbreak\n}", False),
        ("for {\n\tdefer x()\n\tif c {\n\t\tcontinue\n\t}\n\treturn\n}", True),
        ("for {\nagain:\n\tdefer x()\n\tif c {\n\t\tgoto again\n\t}\n\treturn\n}", True),
        ("for {\n\tdefer x()\n\tselect {\n\tcase <-ch:\n\t\tbreak\n\t}\n}", True),
        ("for {\n\tdefer x()\n\tfor {\n\t\treturn\n\t}\n}", False),
    ],
)
def test_comes_back(body: str, again: bool) -> None:
    cfg, fn = graph(body)
    assert cfg.comes_back(block(cfg, "defer x()"), first_loop(fn)) is again


def test_comes_back_after_the_other_cases_of_a_select() -> None:
    cfg, fn = graph("for {\n\tselect {\n\tcase <-quit:\n\t\treturn\n\tcase <-tick:\n\t}\n}")
    loop = first_loop(fn)
    select = first_loop(loop, "select_statement")
    quit_case, tick_case = (c for c in select.named_children if c.type == "communication_case")
    head = cfg.heads[select.id]
    assert not cfg.comes_back(head, loop, [cfg.cases[quit_case.id]])
    assert cfg.comes_back(head, loop, [cfg.cases[tick_case.id]])


@pytest.mark.parametrize(
    ("body", "skips", "through_timeouts"),
    [
        ("for i := 0; i < n; i++ {\n\tv = <-ch\n}", False, False),
        ("for i := 0; i < n; i++ {\n\tif c {\n\t\tv = <-ch\n\t}\n}", True, False),
        ("for i := 0; i < n; i++ {\n\tif c {\n\t\treturn\n\t}\n\tv = <-ch\n}", True, True),
        ("for i := 0; i < n; i++ {\n\tif c {\n\t\tpanic(1)\n\t}\n\tv = <-ch\n}", False, False),
        ("for i := 0; i < n; i++ {\n\tif c {\n\t\tbreak\n\t}\n\tv = <-ch\n}", True, True),
        ("for i := 0; i < n; i++ {\n\tif c {\n\t\tcontinue\n\t}\n\tv = <-ch\n}", True, False),
        ("for i := 0; i < n; i++ {\n\tselect {\n\tcase v = <-ch:\n\tcase <-timeout:\n\t}\n}",
         True, True),
        ("for i := 0; i < n; i++ {\n\tselect {\n\tcase v = <-ch:\n\tcase <-timeout:\n"
         "\t\tv = <-ch\n\t}\n}", False, False),
        ("for {\n\tselect {\n\tcase v = <-ch:\n\t\treturn\n\tcase <-timeout:\n\t}\n}", True, True),
    ],
)
def test_skips(body: str, skips: bool, through_timeouts: bool) -> None:
    """Whether an iteration can go round or leave without passing the receive; with
    ``rounds``, going round counts only through a timeout case."""
    cfg, fn = graph(body)
    loop = first_loop(fn)

    def receives(b: Block) -> bool:
        return b.node is not None and text(b.node) == "v = <-ch"

    def timeout(b: Block) -> bool:
        return b.kind == "case" and b.node is not None and text(b.node) == "<-timeout"

    assert cfg.skips(loop, receives) is skips
    assert cfg.skips(loop, receives, rounds=timeout) is through_timeouts

