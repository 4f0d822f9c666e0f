"""Release: the build pipeline and the files of a release (RDF, JSON-LD, KGX, SSSOM,
schema.org, the HCLS description, the ontology page), and the difference between two."""
