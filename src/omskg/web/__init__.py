"""Web: the server, its pages, the sandbox that runs untrusted SPARQL, content negotiation,
the cache of release documents and the drawings of the graph."""
