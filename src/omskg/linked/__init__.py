"""Linked data: the HPO annotations as RDF, the store that holds them with the core graph,
and what is computed over both (agreement with Orphanet, look-alike diseases)."""
