"""The source registry: ``crawlers/sources.toml`` read into ``SourceEntry`` values.

One ``[[source]]`` table per partner feed or site (keys documented at the top of the file and in
``docs/crawling.md``). Placeholders in URLs and arguments are resolved from the environment:
``{sandbox}`` is ``OHMYLOT_SANDBOX_URL`` (the local demo sandbox), ``{env:NAME}`` is the variable ``NAME``.
A source whose ``requires`` variables are not all set is inactive, and says why (``inactive_reason``).

Environment:
- ``OHMYLOT_SOURCES``: another registry file to read instead of the shipped one.
- ``OHMYLOT_SANDBOX_URL``: base URL of the demo sandbox (``http://127.0.0.1:PORT``).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crawlers.declared import FeedFormat, FormatError, parse_format

REGISTRY_PATH = Path(__file__).resolve().parent / "sources.toml"

#: the platforms a spider exists for (crawl core + feeds)
PLATFORMS = (
    "jsonld",
    "francetravail",
    "hellowork",
    "indeed",
    "talentsoft",
    "talentsoft_json",
    "fonction_publique_rss",
    "apec",
    "spreadsheet",
    "feed",
    # career-site platforms (crawlers/careers.py)
    "workday",
    "smartrecruiters",
    "teamtailor",
    "recruitee",
    "welcometothejungle",
    "lever",
    "greenhouse",
    "place_emploi_public",
    "flatchr",
)

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_PLACEHOLDER = re.compile(r"\{(sandbox|env:[A-Za-z_][A-Za-z0-9_]*)\}")
_CRON_FIELD = re.compile(r"^[\d*/,\-]+$")
_KEYS = {"id", "platform", "name", "url", "employer", "schedule", "trust", "active", "requires", "args", "format"}


class RegistryError(ValueError):
    """The registry file is unreadable or an entry is invalid; the message names the entry (French)."""


@dataclass(frozen=True)
class SourceEntry:
    """One registered source. ``url`` and ``args`` are resolved (placeholders replaced) when possible."""

    id: str
    platform: str
    name: str
    url: str | None
    employer: str | None = None
    schedule: str | None = None
    trust: float = 0.5
    active: bool = True
    requires: tuple[str, ...] = ()
    args: Mapping[str, str] = field(default_factory=dict)
    #: the URL as written in the registry (with its placeholders)
    url_template: str | None = None
    #: why the source is inactive (French, for staff), None when active
    inactive_reason: str | None = None
    #: the ``[source.format]`` declaration (platform ``feed``), checked at load
    format: FeedFormat | None = None
    #: where the entry comes from: "registry" (the TOML file, IT's) or "web" (added by staff, database)
    origin: str = "registry"

    def spider_args(self) -> dict[str, str]:
        """The ``-a`` arguments of ``scrapy crawl`` for this source (``source``, ``url`` and ``args``)."""
        result = {"source": self.id}
        if self.url:
            result["url"] = self.url
        result.update(self.args)
        if self.format is not None:
            result["format"] = self.format.to_json()
        return result


def _missing_variables(names: tuple[str, ...], environ: Mapping[str, str]) -> list[str]:
    return [name for name in names if not environ.get(name, "").strip()]


def resolve_placeholders(text: str, environ: Mapping[str, str] | None = None) -> tuple[str, list[str]]:
    """Replace ``{sandbox}`` and ``{env:NAME}``; return the text and the variables that were missing."""
    env = os.environ if environ is None else environ
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        name = "OHMYLOT_SANDBOX_URL" if key == "sandbox" else key.split(":", 1)[1]
        value = env.get(name, "").strip()
        if not value:
            missing.append(name)
            return match.group(0)
        return value.rstrip("/") if key == "sandbox" else value

    return _PLACEHOLDER.sub(replace, text), missing


def _format(raw: Mapping[str, Any], platform: object, where: str) -> FeedFormat | None:
    """The entry's ``[source.format]``, checked (required by, and only allowed with, platform ``feed``)."""
    if "format" not in raw:
        if platform == "feed":
            raise RegistryError(f"{where} : la plateforme feed demande une table [source.format] "
                                "(proposée par « ohmylot sources probe FICHIER »)")
        return None
    if platform != "feed":
        raise RegistryError(f"{where} : [source.format] ne va qu'avec platform = \"feed\" (ici {platform!r})")
    try:
        return parse_format(raw["format"])
    except FormatError as exc:
        raise RegistryError(f"{where} : {exc}") from exc


def _entry(raw: Mapping[str, Any], position: int, environ: Mapping[str, str]) -> SourceEntry:
    where = f"source n° {position}"
    unknown = sorted(set(raw) - _KEYS)
    source_id = raw.get("id")
    if not isinstance(source_id, str) or not _ID.match(source_id):
        raise RegistryError(
            f"{where} : identifiant absent ou invalide ({source_id!r}) ; lettres minuscules, chiffres, - et _"
        )
    where = f"source {source_id}"
    if unknown:
        raise RegistryError(f"{where} : clé inconnue {', '.join(unknown)}")
    platform = raw.get("platform", "feed" if "format" in raw else None)
    feed_format = _format(raw, platform, where)
    if platform not in PLATFORMS:
        raise RegistryError(f"{where} : plateforme inconnue {platform!r} (connues : {', '.join(PLATFORMS)})")
    trust = raw.get("trust", 0.5)
    if not isinstance(trust, int | float) or not 0 <= float(trust) <= 1:
        raise RegistryError(f"{where} : trust doit être un nombre entre 0 et 1")
    schedule = raw.get("schedule")
    if schedule is not None and (
        not isinstance(schedule, str)
        or len(schedule.split()) != 5
        or not all(_CRON_FIELD.match(part) for part in schedule.split())
    ):
        raise RegistryError(f"{where} : schedule doit être une expression crontab à 5 champs (ex. « 0 3 * * * »)")
    requires = raw.get("requires", [])
    if not isinstance(requires, list) or not all(isinstance(name, str) for name in requires):
        raise RegistryError(f"{where} : requires doit être une liste de noms de variables d'environnement")
    args_raw = raw.get("args", {})
    if not isinstance(args_raw, dict):
        raise RegistryError(f"{where} : args doit être une table clé = valeur")

    missing = _missing_variables(tuple(requires), environ)
    url_template = raw.get("url")
    url: str | None = None
    if url_template is not None:
        if not isinstance(url_template, str) or not url_template.strip():
            raise RegistryError(f"{where} : url doit être une chaîne non vide")
        url, missing_url = resolve_placeholders(url_template.strip(), environ)
        missing += [name for name in missing_url if name not in missing]
    args: dict[str, str] = {}
    for key, value in args_raw.items():
        text, missing_arg = resolve_placeholders(str(value), environ)
        missing += [name for name in missing_arg if name not in missing]
        args[str(key)] = text

    declared_active = bool(raw.get("active", True))
    reason = None
    if not declared_active:
        reason = "désactivée dans le registre (active = false)"
    elif missing:
        plural = "s" if len(missing) > 1 else ""
        reason = f"variable{plural} d'environnement manquante{plural} : {' et '.join(missing)}"
    return SourceEntry(
        id=source_id,
        platform=platform,
        name=str(raw.get("name") or source_id),
        url=None if missing and url and "{" in url else url,
        employer=raw.get("employer"),
        schedule=schedule,
        trust=float(trust),
        active=reason is None,
        requires=tuple(requires),
        args=args,
        url_template=url_template,
        inactive_reason=reason,
        format=feed_format,
    )


def entry_from_table(
    raw: Mapping[str, Any], *, environ: Mapping[str, str] | None = None, paused: bool = False
) -> SourceEntry:
    """A source declared outside the file (staff's, from the web app), checked like the file's entries."""
    entry = _entry(raw, 1, os.environ if environ is None else environ)
    reason = "en pause (mise en pause depuis l'application)" if paused else entry.inactive_reason
    return replace(entry, origin="web", active=reason is None, inactive_reason=reason)


def registry_path() -> Path:
    """The registry file in use: ``OHMYLOT_SOURCES`` or the shipped ``crawlers/sources.toml``."""
    override = os.environ.get("OHMYLOT_SOURCES", "").strip()
    return Path(override).expanduser() if override else REGISTRY_PATH


def load_registry(path: str | Path | None = None, *, environ: Mapping[str, str] | None = None) -> list[SourceEntry]:
    """Read and check the registry; raise ``RegistryError`` (French, one line) on a bad file or entry."""
    target = Path(path) if path is not None else registry_path()
    env = os.environ if environ is None else environ
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"registre des sources illisible ({target}) : {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"registre des sources invalide ({target}) : {exc}") from exc
    raw_entries = data.get("source", [])
    if not isinstance(raw_entries, list):
        raise RegistryError(f"registre des sources invalide ({target}) : [[source]] attendu")
    entries = [_entry(raw, n, env) for n, raw in enumerate(raw_entries, start=1)]
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise RegistryError(f"registre des sources : identifiant en double {entry.id!r}")
        seen.add(entry.id)
    return entries


def get_source(source_id: str, path: str | Path | None = None) -> SourceEntry | None:
    """The registry entry ``source_id``, or None."""
    return next((entry for entry in load_registry(path) if entry.id == source_id), None)
