"""Curation: the curated records and the ontology made into one graph, checked by the
shapes and against the cited passages, with the curators' review record."""
