"""GL002 unused-suppression: a suppression comment that suppresses no finding."""

from __future__ import annotations

from ..model import FileModel
from ..plugins import hookimpl
from ..rule import Rule
from ..suppress import Suppression


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
    return [UnusedSuppression]
