"""A local sandbox of partner sources for the demo, the tests and the benchmarks.

- ``server.serve(handler)``: a threaded HTTP server on 127.0.0.1 (ephemeral port) around a plain handler
  function, so any imitation can be served without a framework.
- ``francetravail.FranceTravailMock``: a faithful imitation of the France Travail "Offres d'emploi v2" API.
- ``generator``: realistic offers of the Lot (and prospects), cross-posted with real-world variations.
- ``site.Sandbox``: career sites (listing pages, sitemap, JSON-LD posting pages), a HelloWork-style feed and
  the France Travail imitation, all behind one handler.
"""
