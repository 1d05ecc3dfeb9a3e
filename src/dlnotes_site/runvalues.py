"""Fill ``{{ run.<name> }}`` in a page's prose with the values its own run noted.

A page states a number about its run through :func:`dlnotes.results.note`, never by typing it, so
prose and output cannot disagree. The values travel as display outputs of MIME type
:data:`dlnotes.results.NOTE_MIME` (kept in the build cache with the other outputs, so a prose-only
edit fills in without running the page again). A marker no cell noted fails the build; a page
rendered unexecuted (``DLNOTES_EXECUTE``) shows a visible placeholder instead.
"""

from __future__ import annotations

import re

import nbformat

__all__ = ["MARKER", "UnknownRunValueError", "fill_run_values", "noted_values"]

MARKER = re.compile(r"\{\{\s*run\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
UNEXECUTED = "（运行后填入）"


class UnknownRunValueError(ValueError):
    """The prose names a run value that no cell noted."""


def noted_values(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Every ``name → value`` the page's cells noted (a later note of a name wins); the note
    outputs are removed from ``nb``, since they are for the build, not the reader."""
    from dlnotes.results import NOTE_MIME

    values: dict[str, str] = {}
    for cell in nb.cells:
        outputs = cell.get("outputs")
        if not outputs:
            continue
        kept = []
        for output in outputs:
            noted = output.get("data", {}).get(NOTE_MIME)
            if noted is None:
                kept.append(output)
            else:
                values.update({str(k): str(v) for k, v in noted.items()})
        cell["outputs"] = kept
    return values


def fill_run_values(nb: nbformat.NotebookNode, executed: bool = True) -> list[str]:
    """Replace the markers in ``nb``'s Markdown cells in place; return the names used.

    Raises :class:`UnknownRunValueError` naming every marker that has no noted value.
    """
    values = noted_values(nb)
    used: list[str] = []
    missing: list[str] = []

    def replace(match: re.Match) -> str:
        name = match.group(1)
        used.append(name)
        if not executed:
            return UNEXECUTED
        if name not in values:
            missing.append(name)
            return match.group(0)
        return values[name]

    for cell in nb.cells:
        if cell.cell_type == "markdown" and "{{" in cell.source:
            cell.source = MARKER.sub(replace, cell.source)
    if missing:
        known = ", ".join(sorted(values)) or "none"
        raise UnknownRunValueError(
            f"the prose shows {{{{ run.{missing[0]} }}}}"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            + f" but no cell noted it; call dlnotes.results.note({missing[0]}=...) "
            f"(noted on this page: {known})")
    return used
