"""Rules about goleaklint's own comments."""

from __future__ import annotations

from ..model import FileModel
from ..plugins import hookimpl
from ..rule import Rule, node_location
from ..suppress import Suppression, file_suppressions
from ..syntax import captures


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
        found = captures("(comment) @c", file.root, combine=False).get("c", [])
        comments = {node_location(file, c).line: c for c in found}
        for s in bare:
            comment = comments.get(s.line)
            if comment is not None:
                self.report(comment, "suppression without a reason: say why this is not a leak",
                            file=file)


class UnusedSuppression(Rule):
    """## What it finds
    A `//goleaklint:ignore`, `//goleaklint:file-ignore` or `//nolint:goleaklint` comment that
    suppresses no finding: the leak it excused was fixed or moved, or a rule ID in it is
    misspelt (`GL210` for `GL201`) or names a rule that cannot be suppressed inline.

    ## Why it leaks
    A stale suppression is a loaded gun: it silences the next real leak that lands on its line,
    unreviewed, and its reason describes code that no longer exists. Removing suppressions as
    soon as they stop suppressing keeps every remaining one meaningful.

    ## Example
    ```go
    package stats

    import "os"

    func Size(name string) (int64, error) {
    	f, err := os.Open(name) //goleaklint:ignore GL201 closed by the caller
    	if err != nil {
    		return 0, err
    	}
    	defer f.Close()
    	info, err := f.Stat()
    	if err != nil {
    		return 0, err
    	}
    	return info.Size(), nil
    }
    ```

    ## Use instead
    ```go
    package stats

    import "os"

    func Size(name string) (int64, error) {
    	f, err := os.Open(name)
    	if err != nil {
    		return 0, err
    	}
    	defer f.Close()
    	info, err := f.Stat()
    	if err != nil {
    		return 0, err
    	}
    	return info.Size(), nil
    }
    ```

    ## Known limits
    A suppression is judged only by rules that ran: `//goleaklint:ignore GL201` is not reported
    while GL201 is deselected (`--select`, `ignore = [...]`) or failed on the package, and a
    blanket `//goleaklint:ignore reason` only when every rule ran. A generic `//nolint` or
    `//nolint:all` is left to golangci-lint's nolintlint. Unknown codes are reported only in
    goleaklint's own `GL` namespace (another plugin's rule may simply not be installed here).
    This finding cannot itself be suppressed inline (a suppression would hide its own
    report); ignore GL002 in `.goleaklint.toml`, or record it in the baseline.

    ## Peers
    ruff's unused-noqa (RUF100), golangci-lint's nolintlint (`allow-unused: false`), ESLint's
    `--report-unused-disable-directives`.
    """

    id = "GL002"
    name = "unused-suppression"
    family = "meta"
    summary = "A suppression comment suppresses no finding."
    level = "note"
    precision = "very-high"
    tags = ("maintainability",)
    suppressible = False

    def unused_suppression(self, file: FileModel, s: Suppression, problems: list[str]) -> None:
        """Called by the engine, once the package's findings are filtered, for each suppression
        that suppressed nothing (``problems`` says why)."""
        comment = file.root.descendant_for_byte_range(s.start_byte, s.end_byte)
        if comment is None or comment.type != "comment":
            return
        self.report(comment, f"unused suppression: {'; '.join(problems)}", file=file)


@hookimpl
def goleaklint_rules() -> list[type[Rule]]:
    return [SuppressionWithoutReason, UnusedSuppression]
