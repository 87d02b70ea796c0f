"""Decoding and repairs of partner feeds (split from ``crawlers.feeds``, which re-exports these names): BOM,
XML declaration or HTTP charset, UTF-8 with a Windows-1252 fallback, control characters, HTML entities, gzip.
Pure functions on bytes, tested without Scrapy.
"""

from __future__ import annotations

import codecs
import html
import html.entities
import re
import zlib
from dataclasses import dataclass, field

_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.IGNORECASE)
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_UNDEFINED_ENTITY = re.compile(r"Entity '[^']+' not defined")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])",
                         re.IGNORECASE | re.DOTALL)


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read the undecodable bytes as Windows-1252 (Latin-1 for its 5 holes)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    chunk = error.object[error.start : error.end]
    return "".join(_cp1252_byte(b) for b in chunk), error.end


def _cp1252_byte(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return bytes([byte]).decode("latin-1")


codecs.register_error("ohmylot-cp1252", _cp1252_fallback)


@dataclass(slots=True)
class Decoded:
    """A feed body as text, with the encoding used and the repairs made (``{kind: count}``)."""

    text: str
    encoding: str
    repairs: dict[str, int] = field(default_factory=dict)


def _codec_name(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        return None


def declared_encoding(body: bytes) -> str | None:
    """The encoding named by the XML declaration at the start of ``body``, if any (normalised codec name)."""
    match = _XML_DECLARATION.match(body[:512])
    if not match:
        return None
    enc = _DECLARED_ENCODING.search(match.group(0))
    return _codec_name(enc.group(1).decode("ascii")) if enc else None


_LATIN_CODECS = frozenset(codecs.lookup(n).name for n in ("latin-1", "iso-8859-15", "cp1252"))
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def decode_feed(body: bytes, http_charset: str | None = None) -> Decoded:
    """Decode a feed body; never raises.

    Order: byte-order mark, XML declaration, HTTP ``charset``, UTF-8. When the chosen encoding is UTF-8 and
    some bytes are not valid UTF-8, those bytes are read as Windows-1252 (repair ``cp1252_in_utf8``). When a
    Latin encoding is declared but the bytes are valid UTF-8 with accented letters, they are read as UTF-8
    (repair ``utf8_declared_latin``: otherwise "é" would become "Ã©").
    """
    repairs: dict[str, int] = {}
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                      (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            text = body[len(bom):].decode(name, errors="ohmylot-cp1252" if name == "utf-8" else "replace")
            return Decoded(text, name, repairs)
    encoding = declared_encoding(body) or _codec_name(http_charset) or "utf-8"
    if encoding.startswith("utf-16") or encoding.startswith("utf-32"):
        # A declaration in an ASCII-readable prefix cannot be right for UTF-16 without BOM.
        encoding = "utf-8"
    if encoding in _LATIN_CODECS and _NON_ASCII.search(body):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            repairs["utf8_declared_latin"] = 1
            return Decoded(text, "utf-8", repairs)
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        if encoding == "utf-8":
            bad = _count_invalid_utf8(body)
            text = body.decode("utf-8", errors="ohmylot-cp1252")
            repairs["cp1252_in_utf8"] = bad
        else:
            text = body.decode(encoding, errors="replace")
            repairs["undecodable_bytes"] = text.count("\ufffd")
    return Decoded(text, encoding, repairs)


def _count_invalid_utf8(body: bytes) -> int:
    """How many invalid UTF-8 sequences ``body`` holds (U+FFFD already in the source not counted)."""
    replaced = body.decode("utf-8", errors="replace").count("\ufffd")
    return max(replaced - body.decode("utf-8", errors="ignore").count("\ufffd"), 1)


def looks_like_html(body: bytes) -> bool:
    """True when ``body`` starts like an HTML page (doctype, ``<html>``, ``<head>`` or ``<body>``)."""
    head = body[:2048]
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    return bool(_HTML_START.match(_XML_DECLARATION.sub(b"", head, count=1)))


def remove_control_characters(text: str, repairs: dict[str, int] | None = None) -> str:
    """Remove the control characters XML 1.0 forbids (a feed with one is not well-formed)."""
    cleaned, n = _CONTROL_CHARS.subn("", text)
    if n and repairs is not None:
        repairs["control_characters"] = repairs.get("control_characters", 0) + n
    return cleaned


def replace_html_entities(text: str, repairs: dict[str, int] | None = None) -> str:
    """Replace the HTML entities XML does not define (``&eacute;``, ``&nbsp;``) by their characters.

    Left alone when the document has a DOCTYPE (it may declare them).
    """
    repairs = repairs if repairs is not None else {}
    cleaned = text
    if "<!DOCTYPE" in cleaned[:4096] or "&" not in cleaned:
        return cleaned
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        name = match.group(1)
        if name in _XML_ENTITIES:
            return match.group(0)
        char = html.entities.html5.get(name + ";")
        if char is None:
            return match.group(0)
        count += 1
        # Inside markup text the character must stay well-formed XML.
        return {"&": "&amp;", "<": "&lt;", ">": "&gt;"}.get(char, char)

    cleaned = _ENTITY.sub(replace, cleaned)
    if count:
        repairs["html_entities"] = repairs.get("html_entities", 0) + count
    return cleaned


_GZIP_MAGIC = b"\x1f\x8b"
_GUNZIP_DEFAULT_LIMIT = 10 * 1024 * 1024


def gunzip_bounded(body: bytes, limit: int) -> bytes:
    """Decompress a gzip body, refusing more than ``limit`` bytes out (a small file can expand a lot).

    Raises ``ValueError`` with a French reason when the data is not gzip, is truncated or is too large.
    """
    decompressor = zlib.decompressobj(wbits=31)  # 31: gzip header
    try:
        out = decompressor.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ValueError(f"données gzip invalides ({exc})") from exc
    if len(out) > limit:
        raise ValueError(f"plus de {limit // (1024 * 1024)} Mio une fois décompressé")
    if not decompressor.eof:
        raise ValueError("fichier gzip tronqué")
    return out
