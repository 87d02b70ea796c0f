"""The Scrapy project: settings, the one item type, pipelines (normalise → validate → store), spiders
(one per platform), the source registry and crawl-health monitors."""
