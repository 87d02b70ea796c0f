"""Partner sources managed by staff from the web app (admins only), beside ``crawlers/sources.toml``.

An admin gives the address of a feed or career site, or uploads the file a partner sent; the probe
(``services.sources``) shows what it holds and proposes the declaration; the admin adjusts it (id, name,
platform, ``[source.format]``, schedule, trust, employer) and saves. The source is then one of the sources
(``crawlers.managed``): crawled by ``ohmylot crawl ID`` and the scheduler, listed by ``ohmylot sources list``,
on the crawl-health page.

An uploaded file is the source itself when no address is given (a partner without a website e-mails its
spreadsheet): it is kept under ``<data dir>/sources/<id>/`` and the source reads it as a ``file://`` address;
a newer file replaces it (same id). With an address, the file only served the preview.

Every change is audited (``services.audit``: ``sources.add``, ``sources.update``, ``sources.pause``,
``sources.resume``, ``sources.remove``, with the declaration). Removing deletes the declaration only: the
source's postings, offers and crawl history stay (its ``source`` row is marked inactive). Errors are
:class:`ManagedSourceError`, one French line.
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawlers.managed import managed_entry
from crawlers.registry import PLATFORMS, RegistryError, SourceEntry, entry_from_table, load_registry
from services.address_guard import AddressRefused, check_public_address
from services.audit import record
from services.sources import MAX_BYTES, SourceProbeError, format_toml, probe_bytes, probe_target, proposed_entry
from store.crawls import sync_sources
from store.models import ManagedSource, Source, utcnow
from store.settings import get_store_settings

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
#: how long an uploaded sample waits for its form to be saved
PENDING_HOURS = 24
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
#: extensions kept for an uploaded sample (the crawl's readers look at the bytes, the name helps people)
_EXTENSIONS = (".xml", ".rss", ".atom", ".json", ".csv", ".xlsx", ".txt", ".gz")


class ManagedSourceError(ValueError):
    """A staff source cannot be saved, paused or removed; the message is French, one line."""


@dataclass
class SourceForm:
    """What the admin fills in after the preview (strings as typed)."""

    id: str
    name: str
    platform: str
    url: str = ""
    schedule: str = "0 3 * * *"
    trust: str = "0.7"
    employer: str = ""
    format_text: str = ""
    #: the uploaded sample waiting for the save (see :func:`keep_pending`), or ""
    sample_token: str = ""
    sample_name: str = ""


def sources_dir() -> Path:
    """Where uploaded samples live: ``<data dir>/sources``."""
    return get_store_settings().resolved_data_dir() / "sources"


def _pending_path(token: str) -> Path:
    if not _TOKEN.match(token):
        raise ManagedSourceError("fichier déposé introuvable : déposez-le à nouveau")
    return sources_dir() / "_en-attente" / token


def keep_pending(data: bytes) -> str:
    """Keep an uploaded sample until the form is saved; returns its token. Samples never saved are deleted
    after a day (at the next upload)."""
    if len(data) > MAX_BYTES:
        raise ManagedSourceError(f"fichier trop gros (plus de {MAX_BYTES // (1024 * 1024)} Mio)")
    token = secrets.token_hex(16)
    path = _pending_path(token)
    path.parent.mkdir(parents=True, exist_ok=True)
    stale = time.time() - PENDING_HOURS * 3600
    for old in path.parent.iterdir():
        if old.is_file() and old.stat().st_mtime < stale:
            old.unlink(missing_ok=True)
    path.write_bytes(data)
    return token


def preview(*, url: str = "", token: str = "", name: str = "le fichier") -> Any:
    """The probe's report (``crawlers.probe.ProbeReport``) of the pending sample, else of the address."""
    try:
        if token:
            path = _pending_path(token)
            if not path.is_file():
                raise ManagedSourceError("fichier déposé introuvable : déposez-le à nouveau")
            return probe_bytes(path.read_bytes(), name=name)
        if not re.match(r"^https?://", url.strip(), re.IGNORECASE):
            raise ManagedSourceError("indiquez une adresse http(s):// ou déposez un fichier")
        return probe_target(url.strip(), public_only=True)
    except (SourceProbeError, AddressRefused) as exc:
        raise ManagedSourceError(str(exc)) from exc


def proposed_form(report: Any, *, url: str = "", token: str = "", sample_name: str = "") -> SourceForm:
    """The form prefilled from the probe: the id, name and format ``ohmylot sources probe`` would propose."""
    entry = tomllib.loads(proposed_entry(report, url or sample_name or "partenaire"))["source"][0]
    table = report.format.as_dict() if report.platform == "feed" and report.format is not None else None
    return SourceForm(
        id=entry["id"], name=entry["name"], platform=entry["platform"], url=url,
        format_text=format_toml(table) if table else "", sample_token=token, sample_name=sample_name,
    )


def _file_ids() -> set[str]:
    try:
        return {entry.id for entry in load_registry()}
    except RegistryError:  # IT's file being edited must not block the staff's work; the crawl will say so
        return set()


def _declaration(form: SourceForm) -> dict[str, Any]:
    """The registry table of the form (not yet checked)."""
    table: dict[str, Any] = {"platform": form.platform.strip(), "name": form.name.strip() or form.id}
    if form.url.strip():
        table["url"] = form.url.strip()
    if form.schedule.strip():
        table["schedule"] = " ".join(form.schedule.split())
    try:
        table["trust"] = float(form.trust.replace(",", ".")) if form.trust.strip() else 0.5
    except ValueError as exc:
        raise ManagedSourceError("confiance : un nombre entre 0 et 1 (ex. 0,7)") from exc
    if form.employer.strip():
        table["employer"] = form.employer.strip()
        table["args"] = {"employer": form.employer.strip()}
    if table["platform"] == "feed" and form.format_text.strip():
        try:
            table["format"] = tomllib.loads(form.format_text)
        except tomllib.TOMLDecodeError as exc:
            raise ManagedSourceError(f"format illisible (TOML) : {exc}") from exc
    return table


def _check(source_id: str, table: dict[str, Any]) -> SourceEntry:
    if table["platform"] not in PLATFORMS:
        raise ManagedSourceError(f"plateforme inconnue : {table['platform']!r}")
    try:
        return entry_from_table({**table, "id": source_id})
    except RegistryError as exc:
        raise ManagedSourceError(str(exc)) from exc


def _store_sample(source_id: str, token: str, name: str) -> Path:
    """Move the pending sample to ``<data dir>/sources/<id>/``; its path."""
    pending = _pending_path(token)
    if not pending.is_file():
        raise ManagedSourceError("fichier déposé introuvable : déposez-le à nouveau")
    safe = _SAFE_NAME.sub("-", Path(name).name).strip("-.") or "offres"
    if not safe.lower().endswith(_EXTENSIONS):
        safe += ".txt"
    target = sources_dir() / source_id / safe
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(pending), target)
    return target


def save_source(session: Session, form: SourceForm, *, actor: str, new: bool = True) -> ManagedSource:
    """Check and store a staff source (``new``: refuse an id in use), audit it, make it known to the crawls."""
    source_id = form.id.strip()
    if not _ID.match(source_id):
        raise ManagedSourceError(f"identifiant invalide ({source_id!r}) : lettres minuscules, chiffres, - et _, "
                                 "80 au plus")
    if source_id in _file_ids():
        raise ManagedSourceError(f"l'identifiant « {source_id} » est déjà celui d'une source de "
                                 "crawlers/sources.toml : choisissez-en un autre")
    row = session.get(ManagedSource, source_id)
    if new and row is not None:
        raise ManagedSourceError(f"une source « {source_id} » existe déjà : choisissez un autre identifiant")
    if not new and row is None:
        raise ManagedSourceError(f"source inconnue : {source_id}")
    table = _declaration(form)
    if "url" in table:
        try:
            check_public_address(table["url"])
        except AddressRefused as exc:
            raise ManagedSourceError(str(exc)) from exc
    reads_sample = "url" not in table and bool(form.sample_token)
    if reads_sample:
        table["url"] = "file:///en-attente"  # checked now, replaced by the stored file's address below
    elif "url" not in table:
        if row is None or not row.sample_path:
            raise ManagedSourceError("indiquez l'adresse du flux ou déposez le fichier du partenaire")
        table["url"] = Path(row.sample_path).as_uri()
    _check(source_id, table)
    sample_path = None
    if reads_sample:
        sample_path = _store_sample(source_id, form.sample_token, form.sample_name or "offres")
        table["url"] = sample_path.as_uri()
    if row is None:
        row = ManagedSource(id=source_id, created_by=actor, created_at=utcnow())
        session.add(row)
    row.declaration, row.updated_by, row.updated_at = table, actor, utcnow()
    if sample_path is not None:
        row.sample_path, row.sample_name = str(sample_path), form.sample_name or sample_path.name
    session.flush()
    sync_sources(session, [managed_entry(row)], prune=False)
    record(session, actor, "sources.add" if new else "sources.update", "source", source_id,
           {"declaration": table, "sample": row.sample_name})
    return row


def replace_sample(session: Session, source_id: str, data: bytes, name: str, *, actor: str) -> ManagedSource:
    """A newer file from a partner whose source reads its uploaded file: probed first (a bad file is refused
    and the current one kept), then it replaces the current one; audited as ``sources.update``."""
    row = _row(session, source_id)
    if not row.sample_path or (row.declaration or {}).get("url") != Path(row.sample_path).as_uri():
        raise ManagedSourceError(f"la source {source_id} lit une adresse, pas un fichier déposé")
    token = keep_pending(data)
    preview(token=token, name=f"« {name} »")
    old = Path(row.sample_path)
    target = _store_sample(source_id, token, name)
    if old != target:
        old.unlink(missing_ok=True)
    row.declaration = {**row.declaration, "url": target.as_uri()}
    row.sample_path, row.sample_name, row.updated_by, row.updated_at = str(target), name, actor, utcnow()
    session.flush()
    record(session, actor, "sources.update", "source", source_id, {"sample": name, "size": len(data)})
    return row


def _row(session: Session, source_id: str) -> ManagedSource:
    row = session.get(ManagedSource, source_id)
    if row is None:
        raise ManagedSourceError(f"source inconnue parmi celles de l'application : {source_id}")
    return row


def set_paused(session: Session, source_id: str, paused: bool, *, actor: str) -> ManagedSource:
    """Pause a staff source (no crawl, scheduled or by hand, until resumed) or resume it; audited."""
    row = _row(session, source_id)
    row.paused, row.updated_by, row.updated_at = paused, actor, utcnow()
    session.flush()
    try:
        sync_sources(session, [managed_entry(row)], prune=False)
    except RegistryError:  # a declaration the code no longer accepts: pausing it must still work
        pass
    record(session, actor, "sources.pause" if paused else "sources.resume", "source", source_id)
    return row


def remove_source(session: Session, source_id: str, *, actor: str) -> None:
    """Remove a staff source: its declaration goes (kept in the audit row), its postings, offers, runs and
    uploaded file stay; its ``source`` row is marked inactive."""
    row = _row(session, source_id)
    record(session, actor, "sources.remove", "source", source_id,
           {"declaration": row.declaration, "sample": row.sample_name})
    session.delete(row)
    source = session.get(Source, source_id)
    if source is not None:
        source.active = False
    session.flush()


@dataclass
class Listed:
    """One line of the sources page."""

    entry: SourceEntry | None
    row: ManagedSource | None
    #: why a staff source is not crawled although not paused (an id taken by the file, a bad declaration)
    problem: str | None = None


def list_sources(session: Session) -> tuple[list[Listed], list[Listed], str | None]:
    """The file's sources, the staff's, and the file's error (French) if it cannot be read."""
    try:
        file_entries = load_registry()
        error = None
    except RegistryError as exc:
        file_entries, error = [], str(exc)
    taken = {entry.id for entry in file_entries}
    staff = []
    for row in session.scalars(select(ManagedSource).order_by(ManagedSource.created_at, ManagedSource.id)):
        if row.id in taken:
            staff.append(Listed(None, row, "identifiant repris par crawlers/sources.toml : cette source est ignorée"))
            continue
        try:
            staff.append(Listed(managed_entry(row), row))
        except RegistryError as exc:
            staff.append(Listed(None, row, f"déclaration refusée : {exc}"))
    return [Listed(entry, None) for entry in file_entries], staff, error
