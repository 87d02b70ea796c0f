"""Référents accueil by territory: who follows which household, and their weekly e-mail of next steps.

A référent is an ``app_user`` of role ``referent`` whose ``territory`` lists EPCI SIRENs; a household is
theirs through ``Candidate.referent_id`` (the same columns the web app's menu scoping and hand-over use).
``assign_from_target_area`` gives a household the référent of the EPCI of its target area (first target
commune's EPCI, then the target EPCIs); staff may change it (``reassign``), and that choice is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.geo import get_gazetteer
from services.directory import stale_entries
from services.errors import ServiceError
from services.welcome import STEPS, steps_of
from store.audit import audit
from store.candidates import assign_referent, household_members
from store.models import Candidate, User

SENDER = "Oh my Lot ! <ne-pas-repondre@ohmylot.invalid>"
# a household not heard of for this long is listed first in the référent's e-mail
QUIET_DAYS = 21


class ReferentError(ServiceError, ValueError):
    """A référent action that cannot be done; the message is French, one line."""


def target_epcis(candidate: Candidate) -> list[str]:
    """The EPCIs of the household's target area: its communes' EPCIs first, then the named EPCIs."""
    area = candidate.target_area or {}
    gazetteer = get_gazetteer()
    sirens = [p.epci for p in (gazetteer.commune(str(c)) for c in area.get("communes", [])) if p and p.epci]
    sirens += [str(e) for e in area.get("epcis", [])]
    return list(dict.fromkeys(sirens))


def assign_from_target_area(session: Session, candidate: Candidate) -> User | None:
    """Give the household the référent of its target territory (kept when it already has one)."""
    return assign_referent(session, candidate, target_epcis(candidate))


def reassign(session: Session, candidate: Candidate, referent_id: int | None, *, actor: str | None) -> User | None:
    """Staff choose the household's référent (``None``: nobody); every member of the household follows."""
    referent = None
    if referent_id is not None:
        referent = session.get(User, referent_id)
        if referent is None or referent.role != "referent" or not referent.active:
            raise ReferentError("ce compte n'est pas un référent accueil actif")
    for member in household_members(session, candidate):
        member.referent_id = referent.id if referent else None
    audit(
        session,
        actor,
        "referent_assigned",
        "candidate",
        candidate.id,
        {"referent": referent.email if referent else None},
    )
    return referent


def list_referents(session: Session) -> list[tuple[User, int]]:
    """Active référents with the number of prospects they follow."""
    counts = dict(
        session.execute(
            select(Candidate.referent_id, func.count())
            .where(Candidate.anonymized_at.is_(None))
            .group_by(Candidate.referent_id)
        ).all()
    )
    users = session.scalars(select(User).where(User.role == "referent", User.active.is_(True)).order_by(User.email))
    return [(u, counts.get(u.id, 0)) for u in users]


def households_of(session: Session, referent: User) -> list[Candidate]:
    """The prospects a référent follows (one per household: its first member), still accompanied."""
    rows = session.scalars(
        select(Candidate)
        .where(
            Candidate.referent_id == referent.id,
            Candidate.anonymized_at.is_(None),
            Candidate.status.notin_(["gave_up"]),
        )
        .order_by(Candidate.id)
    )
    seen: set[int] = set()
    firsts = []
    for c in rows:
        if c.household_id is not None and c.household_id in seen:
            continue
        if c.household_id is not None:
            seen.add(c.household_id)
        firsts.append(c)
    return firsts


@dataclass
class NextStep:
    candidate: Candidate
    next_step: str | None
    quiet_days: int


def next_steps(session: Session, referent: User, *, today: date | None = None) -> list[NextStep]:
    """For each household of the référent: the first settling step not done yet, quietest households first."""
    today = today or datetime.now(UTC).date()
    result = []
    for candidate in households_of(session, referent):
        done = {s.step for s in steps_of(session, candidate)}
        pending = next((label for step, label in STEPS.items() if step not in done), None)
        last = candidate.last_contact_at
        quiet = (today - last.date()).days if last else 0
        result.append(NextStep(candidate, pending, quiet))
    return sorted(result, key=lambda n: -n.quiet_days)


def digest_message(
    session: Session, referent: User, *, public_url: str = "", today: date | None = None
) -> EmailMessage | None:
    """The référent's weekly e-mail (no household: None)."""
    steps = next_steps(session, referent, today=today)
    stale = stale_entries(session, epcis=referent.territory or [], today=today)
    if not steps and not stale:
        return None
    lines = [
        f"Bonjour {referent.full_name or ''},".replace(" ,", ","),
        "",
        "Voici les prochaines étapes de vos foyers cette semaine :",
        "",
    ]
    for item in steps:
        c = item.candidate
        name = f"{c.first_name or ''} {c.last_name or ''}".strip() or f"n° {c.id}"
        quiet = f" — sans nouvelles depuis {item.quiet_days} jours" if item.quiet_days >= QUIET_DAYS else ""
        lines.append(f"- {name} : {item.next_step or 'installation terminée'}{quiet}")
        if public_url:
            lines.append(f"  {public_url.rstrip('/')}/equipe/prospects/{c.id}/accueil")
    if stale:
        lines += ["", f"{len(stale)} fiche(s) de votre annuaire n'ont pas été vérifiées depuis plus de 12 mois :"]
        lines += [f"- {e.name} ({e.commune_name or ''})" for e in stale[:20]]
    lines += ["", "L'équipe Oh my Lot !"]
    message = EmailMessage()
    message["From"], message["To"] = SENDER, referent.email
    message["Subject"] = f"Oh my Lot ! — vos foyers cette semaine ({len(steps)})"
    message.set_content("\n".join(lines))
    return message


def send_weekly_digests(
    session: Session, *, send: Callable[[EmailMessage], None] | None, public_url: str = "", today: date | None = None
) -> dict[str, int]:
    """Send (``send`` None: only count) each active référent's e-mail; returns e-mail → households."""
    report: dict[str, int] = {}
    for referent, _ in list_referents(session):
        message = digest_message(session, referent, public_url=public_url, today=today)
        if message is None:
            continue
        report[referent.email] = len(households_of(session, referent))
        if send is not None:
            send(message)
            audit(
                session,
                "scheduler",
                "welcome_digest_sent",
                "app_user",
                referent.id,
                {"households": report[referent.email]},
            )
    return report
