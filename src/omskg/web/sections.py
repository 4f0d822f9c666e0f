"""The sections of an entity's page, in the order a reader looks for them.

A clinician reads about a condition from what it is to how it ends: summary, who it affects,
symptoms and signs, causes and triggers, diagnosis, care team, treatment, course, prognosis
and relapse, references. Each statement goes to the section of its relation
(:data:`SECTIONS`); statements that name the entity (it is their object) go to a section
of their own, titled from the entity's side ("Treats" on a drug's page). A condition, a
finding, a tumour or an infection shows its own statements first; any other entity (a drug,
a therapy, a document) is mostly known by what names it, so those sections come first.
Treatments keep their order of use (first step, first choice, main approach, alternative,
then those given no place, and the further options named beside the others last). Every
relation of the data has a section: a test holds the data to it, so a new relation is
placed on purpose rather than left in "Other".

>>> [s.title for s in SECTIONS][:4]
['Summary', 'Who it affects', 'Symptoms and signs', 'Causes and triggers']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from rdflib import URIRef

from omskg.prefixes import IAO, OBOINOWL, OMS


@dataclass(frozen=True)
class SectionKind:
    """A section: its anchor, its heading and the relations whose statements it holds."""

    id: str
    title: str
    relations: tuple[URIRef, ...]


SECTIONS: tuple[SectionKind, ...] = (
    SectionKind("summary", "Summary", (
        IAO["0000115"], OBOINOWL.hasExactSynonym, OBOINOWL.hasRelatedSynonym, OMS.isKindOf,
        OMS.hasLocation, OMS.arisesFrom, OMS.producedBy,
    )),
    SectionKind("affects", "Who it affects", (
        OMS.affectsPopulation, OMS.hasRarity, OMS.maleToFemaleRatio, OMS.maximumAgeAtDiagnosis,
    )),
    SectionKind("symptoms", "Symptoms and signs", (
        OMS.hasPhenotype, OMS.causesDifficulty, OMS.canOccurAlone,
    )),
    SectionKind("causes", "Causes and triggers", (
        OMS.causeKnown, OMS.associatedWith, OMS.hasTrigger, OMS.hasCausalAgent, OMS.hasProposedMechanism,
        OMS.hasMechanismStep,
    )),
    SectionKind("diagnosis", "Diagnosis", (
        OMS.hasDiagnosticProcedure, OMS.hasDiagnosticCriterion, OMS.mayIndicate,
    )),
    SectionKind("care-team", "Care team", (OMS.hasCareTeamRole, OMS.hasPatientOrganisation)),
    SectionKind("treatment", "Treatment", (OMS.hasTreatment,)),
    SectionKind("action", "How it acts", (OMS.stimulatesProductionOf,)),
    SectionKind("adverse-effects", "Adverse effects", (OMS.hasAdverseEffect,)),
    SectionKind("course", "Course", (OMS.hasClinicalCourse,)),
    SectionKind("prognosis", "Prognosis and relapse", (
        OMS.hasOutcome, OMS.hasPrognosticFactor, OMS.isPrognosticFactorFor, OMS.prognosisVaries, OMS.isFatal,
        OMS.hasRelapseTrigger, OMS.relapseTreatedAsInitial,
    )),
    SectionKind("references", "References", (OMS.isAbout, OMS.cites, OMS.researches)),
)  # fmt: skip

#: Sections of the statements that name the entity as their object, titled from its side.
NAMED_BY: tuple[SectionKind, ...] = (
    SectionKind("treats", "Treats", (OMS.hasTreatment,)),
    SectionKind("sign-of", "A sign or symptom of", (OMS.hasPhenotype, OMS.causesDifficulty)),
    SectionKind("triggers", "Triggers", (OMS.hasTrigger, OMS.hasRelapseTrigger, OMS.hasCausalAgent)),
    SectionKind("associated", "Associated with", (OMS.associatedWith, OMS.mayIndicate)),
    SectionKind("diagnoses", "Used in diagnosing", (OMS.hasDiagnosticProcedure, OMS.hasDiagnosticCriterion)),
    SectionKind("adverse-effect-of", "An adverse effect of", (OMS.hasAdverseEffect,)),
    SectionKind("kinds", "Kinds of it", (OMS.isKindOf,)),
    SectionKind("described-in", "Described and researched by", (OMS.isAbout, OMS.researches, OMS.cites)),
    SectionKind("named-by", "Named in statements about other things", ()),
)

#: Treatments in their order of use; None stands for the statements given no line, which come
#: before the further options a source names beside the others.
TREATMENT_ORDER = (OMS.FirstStep, OMS.FirstChoice, OMS.MainApproach, OMS.Alternative, None, OMS.Additional)
#: Kinds of entity read as a clinical subject: their own statements come first.
CLINICAL_KINDS = frozenset({OMS.Condition, OMS.ClinicalFinding, OMS.Neoplasm, OMS.Infection})
OTHER = SectionKind("other", "Other statements", ())
#: The page of a statement shows the statement itself first.
ITSELF = SectionKind("statement", "The statement", ())

T = TypeVar("T")


@dataclass(frozen=True)
class Placed:
    """A statement as the sections need it: its relation (None when it names the page's entity
    in a qualifier only), whether it names the entity rather than being about it, its treatment
    line (if any) and the sort key within a section."""

    relation: URIRef | None
    names_entity: bool
    line: URIRef | None
    key: tuple[str, ...]


def section_of(relation: URIRef | None, *, names_entity: bool) -> SectionKind:
    """The section a statement goes to on a page: by its relation, from the entity's side when
    it names the entity (a statement naming it in a qualifier only has no relation to it).

    >>> section_of(OMS.hasTreatment, names_entity=False).title
    'Treatment'
    >>> section_of(OMS.hasTreatment, names_entity=True).title
    'Treats'
    >>> section_of(OMS.curationNote, names_entity=False).title
    'Other statements'
    >>> section_of(None, names_entity=True).title
    'Named in statements about other things'
    """
    for kind in NAMED_BY if names_entity else SECTIONS:
        if relation in kind.relations:
            return kind
    return NAMED_BY[-1] if names_entity else OTHER


def order(kinds: Iterable[URIRef]) -> tuple[SectionKind, ...]:
    """The sections of a page in reading order for an entity of the given types."""
    own = (*SECTIONS[1:-1], OTHER)
    if CLINICAL_KINDS & set(kinds):
        return (SECTIONS[0], *own, *NAMED_BY, SECTIONS[-1])
    return (SECTIONS[0], *NAMED_BY[:-1], *own, NAMED_BY[-1], SECTIONS[-1])


def arrange(
    statements: Sequence[tuple[T, Placed]], kinds: Iterable[URIRef]
) -> list[tuple[SectionKind, list[T]]]:
    """The non-empty sections of a page, each with its statements in order: treatments by
    their line of use, everything else by relation, then by the statement's own key."""
    by_section: dict[str, list[tuple[T, Placed]]] = {}
    for item, placed in statements:
        by_section.setdefault(section_of(placed.relation, names_entity=placed.names_entity).id, []).append(
            (item, placed)
        )
    return [
        (kind, [item for item, _ in sorted(by_section[kind.id], key=lambda pair: _rank(kind, pair[1]))])
        for kind in order(kinds)
        if kind.id in by_section
    ]


def _rank(kind: SectionKind, placed: Placed) -> tuple[int, int, tuple[str, ...]]:
    relation = (
        kind.relations.index(placed.relation) if placed.relation in kind.relations else len(kind.relations)
    )
    line = TREATMENT_ORDER.index(placed.line if placed.line in TREATMENT_ORDER else None)
    return (line, relation, placed.key) if kind.id == "treatment" else (relation, line, placed.key)
