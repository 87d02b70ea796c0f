"""``jsonld``: any career site publishing schema.org ``JobPosting`` (JSON-LD or microdata).

A partner whose site follows Google for Jobs needs only a registry entry::

    [[source]]
    id = "ch-cahors"
    platform = "jsonld"
    url = "https://www.ch-cahors.fr/recrutement/offres,https://www.ch-cahors.fr/sitemap.xml"

Replay a saved page: ``scrapy crawl jsonld -a url=file:///path/page.html -O offers.jsonl``.
All the logic lives in ``crawlers.jsonld.JobPostingSpider``; a site with quirks gets its own ~30-line
subclass overriding ``pre_process`` / ``post_process``.
"""

from __future__ import annotations

from crawlers.jsonld import JobPostingSpider


class JsonLdSpider(JobPostingSpider):
    """Career sites with schema.org JobPosting pages, reached by listing pages and/or sitemaps."""

    name = "jsonld"
    platform = "jsonld"
