"""Shipped ``[source.format]`` declarations of the known platforms that are plain mappings
(``crawlers.declared.shipped_format``); a package so that the wheel carries its TOML files."""
