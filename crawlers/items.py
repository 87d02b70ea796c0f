"""The one item type of every spider: ``matching.types.RawPosting`` (a plain dataclass).

Spiders yield ``RawPosting``; the pipelines normalise, validate and store it.
"""

from matching.types import RawPosting

__all__ = ["RawPosting"]
