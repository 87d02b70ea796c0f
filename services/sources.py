"""Use cases around partner sources: probing a feed a partner sent (a file or an address) and proposing
the registry entry that reads it.

``probe_target`` reads a saved file or downloads an URL (bounded, with a timeout), then hands the bytes to
``crawlers.probe.probe``; ``proposed_entry`` writes the ``[[source]]`` table staff paste into
``crawlers/sources.toml``. Errors are :class:`SourceProbeError` with a one-line French message.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from crawlers.monitors import FIELD_LABELS as MONITOR_FIELD_LABELS
from crawlers.probe import ProbeReport, probe
from matching.text import fold
from services.address_guard import PublicRedirects, check_public_address
from services.errors import ServiceError

#: the largest document probed (the crawl's own DOWNLOAD_MAXSIZE is of the same order)
MAX_BYTES = 20 * 1024 * 1024
TIMEOUT_S = 30


#: the RawPosting fields as staff name them (probe reports, the web app's preview): the crawl health names,
#: with the two words the probe's table uses
FIELD_LABELS = {**MONITOR_FIELD_LABELS, "title": "intitulé", "apply_url": "candidature"}


class SourceProbeError(ServiceError, ValueError):
    """The file or address cannot be probed, or holds no feed; the message is French, one line."""


def read_target(target: str, *, timeout: float = TIMEOUT_S, public_only: bool = False) -> tuple[bytes, str | None]:
    """The bytes of a file path, ``file://`` or ``http(s)://`` address, and the HTTP charset if any.

    ``public_only`` (an address typed in the web app): only http(s) to public addresses, redirects included
    (``services.address_guard``)."""
    if public_only:
        check_public_address(target)
    if re.match(r"^https?://", target, re.IGNORECASE):
        request = urllib.request.Request(  # noqa: S310 - the scheme is http(s), checked above
            target, headers={"User-Agent": "ohmylot-probe (+Oh my Lot !)"})
        opener = urllib.request.build_opener(PublicRedirects) if public_only else urllib.request.build_opener()
        try:
            with opener.open(request, timeout=timeout) as response:
                body = response.read(MAX_BYTES + 1)
                charset = response.headers.get_content_charset()
        except urllib.error.HTTPError as exc:
            raise SourceProbeError(f"{target} répond {exc.code} ({exc.reason})") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SourceProbeError(f"{target} injoignable : {reason}") from exc
    else:
        path = Path(target.removeprefix("file://")).expanduser()
        try:
            with path.open("rb") as handle:
                body = handle.read(MAX_BYTES + 1)
        except FileNotFoundError as exc:
            raise SourceProbeError(f"fichier introuvable : {path}") from exc
        except IsADirectoryError as exc:
            raise SourceProbeError(f"{path} est un dossier, pas un fichier") from exc
        except OSError as exc:
            raise SourceProbeError(f"fichier illisible : {path} ({exc.strerror or exc})") from exc
        charset = None
    if len(body) > MAX_BYTES:
        raise SourceProbeError(f"document trop gros (plus de {MAX_BYTES // (1024 * 1024)} Mio)")
    return body, charset


def probe_bytes(body: bytes, *, http_charset: str | None = None, name: str = "le document") -> ProbeReport:
    """Probe a document; raise :class:`SourceProbeError` when it is not a feed or holds no offer."""
    if not body.strip():
        raise SourceProbeError(f"{name} est vide")
    report = probe(body, http_charset=http_charset)
    if report.family is None:
        raise SourceProbeError(f"{name} n'est pas un flux d'offres : ni XML, ni RSS/Atom, ni JSON, ni tableau "
                               "CSV/XLSX")
    if report.items == 0:
        why = f" ({report.problems[0]})" if report.problems else ""
        raise SourceProbeError(f"{name} ne contient aucune offre reconnue{why}")
    return report


def probe_target(target: str, *, public_only: bool = False) -> ProbeReport:
    """Probe a file or an address (see :func:`read_target`, :func:`probe_bytes`)."""
    body, charset = read_target(target, public_only=public_only)
    return probe_bytes(body, http_charset=charset, name=target)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")[:60] or "nouvelle-source"


def _toml_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_value(key)


def proposed_entry(report: ProbeReport, target: str) -> str:
    """The ``[[source]]`` table (TOML) that reads this document: its platform, or ``feed`` with the
    guessed ``[source.format]``. Staff check the id, name, schedule and trust before pasting it."""
    employer = report.fields["employer"].examples[0] if "employer" in report.fields else None
    name = employer or Path(target.split("?")[0].rstrip("/")).stem or "partenaire"
    url = target if re.match(r"^(?:https?|file)://", target) else Path(target).resolve().as_uri()
    lines = ["[[source]]", f"id = {_toml_value(_slug(name))}", f"platform = {_toml_value(report.platform)}",
             f"name = {_toml_value(name + ' — offres')}", f"url = {_toml_value(url)}",
             'schedule = "0 3 * * *"', "trust = 0.7"]
    if report.platform == "feed" and report.format is not None:
        lines += ["", "[source.format]", format_toml(report.format.as_dict(), prefix="source.format.").rstrip()]
    return "\n".join(lines) + "\n"


def format_toml(table: dict[str, Any], *, prefix: str = "") -> str:
    """A ``[source.format]`` table's body as TOML: ``family``, ``items``, then the ``[PREFIXfields]``,
    ``sections``, ``extra`` and ``values`` tables (``prefix`` "" for the web app's format box)."""
    lines = [f"family = {_toml_value(table['family'])}"]
    if table.get("items"):
        lines.append(f"items = {_toml_value(table['items'])}")
    for section in ("fields", "sections", "extra", "values"):
        if table.get(section):
            lines += ["", f"[{prefix}{section}]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table[section].items()]
    return "\n".join(lines) + "\n"
