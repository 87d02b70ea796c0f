"""Safe text for offer descriptions: one HTML allowlist (nh3) and a plain-text version.

- ``sanitize_html``: keeps ``p, br, ul, ol, li, strong, em, b, i`` and ``a`` with an ``http``, ``https`` or
  ``mailto`` ``href`` (given ``rel="nofollow noopener"``); everything else is removed (scripts and styles
  with their content, attributes, comments, other tags keeping their text). Plain text (no tags) becomes
  paragraphs (blank lines) and line breaks. HTML that a feed escaped twice (``&lt;p&gt;…``, as the public
  service RSS feed does) is unescaped once first.
- ``html_to_text``: block tags become line breaks, list items "- " lines, entities decoded, spaces
  collapsed, at most one blank line in a row.

Both are total: any string (or None, or bytes) gives a string.
"""

from __future__ import annotations

import html as html_lib
import re

import nh3

ALLOWED_TAGS = frozenset({"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "a"})
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
_DROP_CONTENT = frozenset({"script", "style", "template", "iframe", "object", "noscript", "textarea", "select"})
# Tags that end a line in the plain-text version.
_BLOCK_TAGS = frozenset(
    {"p", "br", "ul", "ol", "li", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
     "article", "header", "footer", "blockquote", "pre", "dd", "dt", "dl", "hr", "td", "th"}
)

_MAX_INPUT = 1_000_000  # characters; a description is never longer, a hostile page might be
_HAS_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?\s*>")
_ESCAPED_TAG = re.compile(r"&lt;\s*/?\s*(?:p|br|ul|ol|li|div|span|strong|b|i|em|a|h[1-6])\b", re.IGNORECASE)
# One pass over the tags nh3 left: <br> and block tags → line break, <li> → "- " line, cells → space.
_TAGS = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>")
_BLOCK_NAMES = _BLOCK_TAGS - {"li", "td", "th"}


# Built once (nh3 would build its sanitiser again at each ``nh3.clean`` call): the same options, the same output.
_SAFE_HTML = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(_DROP_CONTENT),
    attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)
_BLOCK_HTML = nh3.Cleaner(
    tags=set(_BLOCK_TAGS),
    clean_content_tags=set(_DROP_CONTENT),
    attributes={},
    strip_comments=True,
    link_rel=None,
)


def _tag_to_text(match: re.Match[str]) -> str:
    name = match.group(2).lower()
    if name == "li":
        return "" if match.group(1) else "\n- "
    if name in _BLOCK_NAMES:
        return "\n"
    if name in ("td", "th"):
        return " " if match.group(1) else ""
    return ""


_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2009\u202f\u200b]+")
_MANY_NEWLINES = re.compile(r"\n\s*\n(?:\s*\n)+")
_SPACE_AROUND_NEWLINE = re.compile(r" *\n *")


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value)
    if len(text) > _MAX_INPUT:
        text = text[:_MAX_INPUT]
    # Control characters other than tab/newline have no place in an offer (and break XML/JSON consumers).
    return _CONTROL.sub("", text)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _unescape_twice_escaped(text: str) -> str:
    """``&lt;p&gt;Texte&lt;/p&gt;`` → ``<p>Texte</p>`` when the text has escaped tags and no real ones."""
    if "&lt;" in text and _ESCAPED_TAG.search(text) and not _HAS_TAG.search(text):
        return html_lib.unescape(text)
    return text


def looks_like_html(text: str) -> bool:
    """Whether a string contains at least one HTML tag."""
    return bool(_HAS_TAG.search(text))


def sanitize_html(html: object) -> str:
    """The description as safe HTML (the one allowlist of the project)."""
    text = _unescape_twice_escaped(_as_text(html))
    if not text.strip():
        return ""
    if not looks_like_html(text):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
        text = "".join(
            "<p>" + "<br>".join(html_lib.escape(line.strip(), quote=False) for line in p.split("\n")) + "</p>"
            for p in paragraphs
        )
        # Entities written in the plain text ("&amp;", "&#039;") were escaped again above: undo that once.
        text = text.replace("&amp;", "&")
    return _SAFE_HTML.clean(text).strip()


def html_to_text(html: object) -> str:
    """A plain-text version of an HTML (or plain) description: line breaks kept, entities decoded."""
    text = _unescape_twice_escaped(_as_text(html))
    if not text.strip():
        return ""
    if looks_like_html(text):
        # nh3 drops scripts/styles with their content, comments and unknown tags (keeping their text),
        # and leaves well-formed block tags that the regular expressions below turn into line breaks.
        text = _BLOCK_HTML.clean(text)
        text = _TAGS.sub(_tag_to_text, text)
    text = html_lib.unescape(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()
