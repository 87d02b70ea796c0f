"""Place de l'emploi public (the French civil service's job site): its export, a JSON list of offers with
Talentsoft-style field names.

A plain mapping, so no parsing code: the declaration ``crawlers/formats/place_emploi_public.toml`` read by the
generic feed spider (``crawlers/spiders/feed.py``).

    scrapy crawl place_emploi_public -a url=file:///path/pep.json -O offers.jsonl
"""

from __future__ import annotations

from crawlers.spiders.feed import DeclaredFeedSpider


class PlaceEmploiPublicSpider(DeclaredFeedSpider):
    """Place de l'emploi public export, by its shipped declaration."""

    name = platform = "place_emploi_public"
    shipped = "place_emploi_public"
