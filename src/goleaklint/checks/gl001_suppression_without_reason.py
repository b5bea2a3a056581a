"""GL001 suppression-without-reason: a suppression comment that does not say why."""

from __future__ import annotations

from ..model import FileModel
from ..plugins import hookimpl
from ..rule import Rule, node_location
from ..suppress import COMMENTS, file_suppressions


class SuppressionWithoutReason(Rule):
    """## What it finds
    A `//goleaklint:ignore`, `//goleaklint:file-ignore` or `//nolint:goleaklint` comment that
    does not say why the finding is acceptable.

    ## Why it leaks
    A suppression hides a possible leak for good. Without a reason, the next reader cannot tell
    a deliberate, reviewed exception (a process-lifetime registry) from a silenced real leak,
    and nobody revisits it when the code around it changes.

    ## Example
    ```go
    package cache

    var seen = map[string]bool{}

    func mark(k string) {
    	seen[k] = true //goleaklint:ignore GL101
    }
    ```

    ## Use instead
    ```go
    package cache

    var seen = map[string]bool{}

    func mark(k string) {
    	seen[k] = true //goleaklint:ignore GL101 keys are the fixed set of feature flags
    }
    ```

    ## Known limits
    Any text after the rule IDs counts as a reason. The suppression still applies; this
    finding only asks for the reason. A generic `//nolint` or `//nolint:all` that does not
    name goleaklint is left to golangci-lint's nolintlint.

    ## Peers
    ruff's unused-noqa (RUF100) and golangci-lint's nolintlint (`require-explanation`).
    """

    id = "GL001"
    name = "suppression-without-reason"
    family = "meta"
    summary = "A suppression comment does not give a reason."
    level = "note"
    precision = "very-high"
    tags = ("maintainability",)
    suppressible = False

    def begin_file(self, file: FileModel) -> None:
        bare = [s for s in file_suppressions(file) if not s.reason and s.names_goleaklint]
        if not bare:
            return
        found = file.captures(COMMENTS).get("c", [])
        comments = {node_location(file, c).line: c for c in found}
        for s in bare:
            comment = comments.get(s.line)
            if comment is not None:
                self.report(comment, "suppression without a reason: say why this is not a leak",
                            file=file)


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [SuppressionWithoutReason]
