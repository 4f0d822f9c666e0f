PREFIX ex: <http://example.org/>
LOAD <http://example.org/data.ttl> INTO GRAPH ex:g ;
INSERT { ?s ex:p "\u00e9" } USING NAMED <https://w3id.org/omskg/graph/x> WHERE { ?s ?p ?o }
