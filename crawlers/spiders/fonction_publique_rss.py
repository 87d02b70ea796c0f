"""The public-service job portal's RSS 2.0 + Dublin Core feed (Place de l'emploi public / PASS).

What each element holds in this feed (observed on the real file, SOURCE-FORMATS.md §3):
``title`` wraps an HTML link (its text is the title), ``link`` the offer page, ``description`` escaped HTML,
``guid`` a UUID (not a permalink), ``dc:identifier`` the offer number (``A-2025-159026``), ``pubDate`` the
publication, ``dc:publisher`` the recruiting service (the employer), ``dc:contributor`` its ministry,
``author`` the body (HTML-escaped twice), ``dc:coverage`` the place, ``dc:description`` the département
number, ``dc:date`` the start of the contract, ``dc:format`` its length, ``dc:type`` the diploma level,
``dc:creator`` the contact e-mail and telephone for applying (kept in ``extra["contact"]``).

    scrapy crawl fonction_publique_rss -a url=file:///path/offres.rss -O offers.jsonl
"""

from __future__ import annotations

from typing import ClassVar

from crawlers.feeds import Paths, RssFeedSpider


class FonctionPubliqueRssSpider(RssFeedSpider):
    """Public-service jobs RSS (Dublin Core)."""

    name = "fonction_publique_rss"
    platform = "fonction_publique_rss"
    fields: ClassVar[dict[str, Paths]] = {
        **RssFeedSpider.fields,
        "published_at": "pubDate",
        "employer": ("dc:publisher", "author"),
        "city": "dc:coverage",
        "departement": "dc:description",
        "contract_duration": "dc:format",
    }
    extra_fields: ClassVar[dict[str, Paths]] = {
        "reference": "dc:identifier",
        "start_date": "dc:date",
        "ministry": "dc:contributor",
        "author": "author",
        "diploma_level": "dc:type",
        "contact": "dc:creator",
        "updated_at": ("dc:source/time/@datetime", "dc:source"),
        "path": "title/a/@href",
    }
