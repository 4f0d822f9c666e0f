"""The release pipeline behind ``omskg build``: build, validate, link, report, write.

Nothing is written unless the graph (and, when linked, the HPO graph) conforms; the release
folder is made beside ``out`` and swapped in whole (:func:`omskg.fileio.replaced_folder`), so
an interrupted or refused build leaves the previous release as it was.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from omskg.curation.build import build_graph
from omskg.curation.validate import Report, validate
from omskg.errors import OmsError
from omskg.fileio import clean_leftovers, replaced_folder
from omskg.linked.conformance import refuse_unless_conforming
from omskg.linked.reports import linked_report_files
from omskg.linked.store import build_store, core_store, open_store
from omskg.release.config import load_release
from omskg.release.ontology_docs import ONTOLOGY_DOCS, ontology_html
from omskg.release.rdf_writers import DESCRIPTION, to_turtle, write_dist
from omskg.release.sparql_examples import EXAMPLES_GRAPH, checked_sparql_examples
from omskg.release.sparql_examples import FILE_NAME as EXAMPLES_FILE
from omskg.release.stamp import STAMP, input_digest, up_to_date, write_stamp

STORE = "store"  # the on-disk store of a linked release, a folder of out


@dataclass(frozen=True)
class Release:
    """What a build made: the SHACL report and, when it conformed, each file's size in ``out``."""

    report: Report
    sizes: dict[Path, int] = field(default_factory=dict)
    unchanged: bool = False  # nothing changed since ``out`` was built: it was kept as it is

    @property
    def written(self) -> bool:
        return self.report.conforms


def steps(*, link: bool) -> int:
    """How many progress messages :func:`build_release` sends."""
    return 6 if link else 4


def foreign_entries(out: Path) -> list[str]:
    """The names at the top of ``out`` that no build writes: no rule of ``files`` in
    ``data/release.yaml`` matches them (their first path component), and they are not the
    store. Replacing ``out`` would delete them."""
    if not out.is_dir():
        return []
    rules = load_release().files
    ours = {STORE, STAMP, *(rule.match.split("/", 1)[0] for rule in rules)}
    return sorted(p.name for p in out.iterdir() if not any(fnmatch.fnmatchcase(p.name, m) for m in ours))


def build_release(
    out: Path,
    *,
    link: bool = True,
    force: bool = False,
    progress: Callable[[str], None] = lambda message: None,
) -> Release:
    """Build the graph, validate it and, if it conforms, write the release into ``out``.

    With ``link``, the HPO annotations are converted into ``out/store`` with the graph and
    the agreement and look-alike reports are written too. ``progress`` gets one message per
    step (:func:`steps` of them). ``out`` is replaced whole, so a file there that no build
    writes (:func:`foreign_entries`) stops the build before anything is done, unless ``force``.
    When nothing changed since ``out`` was built (:mod:`omskg.release.stamp`), it is kept as
    it is and the result says so (``unchanged``).
    """
    foreign = foreign_entries(out)
    if foreign and not force:
        raise OmsError(
            f"{out} holds {', '.join(foreign)}, which the build does not write and would delete "
            "with the rest of the old release; move them elsewhere, or build with --force"
        )
    inputs = input_digest(link=link)
    kept = None if foreign else up_to_date(out, inputs, store=STORE if link else None)
    if kept is not None:
        clean_leftovers(out)  # what an interrupted build left beside it
        return Release(Report(()), kept, unchanged=True)
    progress("reading ontology and curated data")
    built = build_graph()
    progress(f"validating {len(built.graph)} triples against the SHACL shapes")
    report = validate(built)
    if not report.conforms:
        return Release(report)
    examples = checked_sparql_examples()
    with replaced_folder(out, marker=DESCRIPTION) as folder:
        reports: dict[str, str] = {}
        if link:
            progress(
                f"converting the HPO annotations, loading them with the graph into {out}/store/ "
                "and validating them"
            )
            memory = core_store(built)  # the checks run three times faster in memory
            build_store(folder / STORE, built, copy=memory, graphs={EXAMPLES_GRAPH: examples})
            refuse_unless_conforming(memory)
            del memory
            progress("comparing with Orphanet's annotation of OMS; ranking look-alike diseases")
            reports = linked_report_files(open_store(folder / STORE))
        progress(f"writing exports into {out}/")
        extra = {**reports, ONTOLOGY_DOCS: ontology_html(), EXAMPLES_FILE: to_turtle(examples)}
        sizes = write_dist(built, folder, validation_text=report.text(), extra=extra)
        write_stamp(folder, inputs, sizes)
    progress("done")
    return Release(report, {out / path.relative_to(folder): size for path, size in sizes.items()})
