"""The release files that need the linked HPO dataset: the agreement of our OMS phenotypes
with Orphanet's annotation of ORPHA:1183, and the diseases whose HPO profiles resemble OMS
and myoclonus (:mod:`omskg.linked.agreement`, :mod:`omskg.linked.lookalikes`)."""

from __future__ import annotations

import pyoxigraph as ox

from omskg.linked.agreement import REPORT_NAME, agreement_markdown, agreement_tsv, compare_with_record
from omskg.linked.lookalikes import (
    REPORT_RANKINGS,
    lookalikes_markdown,
    lookalikes_tsv,
    rank_lookalikes,
    read_hierarchy,
)


def linked_report_files(store: ox.Store, *, top: int = 10) -> dict[str, str]:
    """File name -> text of each report, computed from a store holding the core and HPO graphs."""
    agreement = compare_with_record(store)
    hierarchy = read_hierarchy(store)
    rankings = [
        rank_lookalikes(store, condition, having=having, top=top, hierarchy=hierarchy)
        for condition, having in REPORT_RANKINGS
    ]
    return {
        f"{REPORT_NAME}.tsv": agreement_tsv(agreement),
        f"{REPORT_NAME}.md": agreement_markdown(agreement),
        "omskg.lookalikes.tsv": lookalikes_tsv(rankings),
        "omskg.lookalikes.md": lookalikes_markdown(rankings),
    }
