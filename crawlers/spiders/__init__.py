"""Spiders, one per platform. A new partner on a known platform is a registry entry (crawlers/sources.toml)
or a small spider inheriting a platform base."""
