"""Follow-up of a prospect: step changes, notes, dated tasks, one timeline, the staff to-do list, and what
happens when an employer answers a shortlist (the prospect's step moves on and their référent is told).

Plain functions taking a session; errors are ``FollowUpError`` with a French message for the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.errors import ServiceError
from store.audit import audit
from store.candidates import STATUS_LABELS, set_status
from store.models import (
    AuditLog,
    Candidate,
    CandidateEvent,
    Event,
    Offer,
    ProspectNote,
    Shortlist,
    ShortlistEntry,
    User,
    as_utc,
    utcnow,
)

MAX_TEXT = 2000
# Steps an employer's "interested" moves a prospect to, from the steps before it.
EARLY_STEPS = {"met", "accompanied"}
ANSWER_WORDS = {"interested": "intéressé", "not_interested": "pas intéressé"}
# Audit actions about a prospect worth showing on their timeline, in French.
AUDIT_WORDS = {
    "candidates.import": "Importé d'un fichier",
    "candidates.form": "Saisi au stand (formulaire du salon)",
    "candidates.consent": "Consentement enregistré",
    "candidates.handover": "Confié à un autre référent",
}


class FollowUpError(ServiceError, ValueError):
    """A follow-up action that cannot be done; the message is French, for staff."""


def person_name(candidate: Candidate) -> str:
    """``Léa Martin`` (or ``prospect n° 12`` when the names are empty)."""
    return f"{candidate.first_name or ''} {candidate.last_name or ''}".strip() or f"prospect n° {candidate.id}"


# --------------------------------------------------------------------------------------------------
# Step, notes, tasks
# --------------------------------------------------------------------------------------------------


def change_step(session: Session, candidate: Candidate, status: str, *, actor: str, note: str = "") -> None:
    """Move the prospect to another step of their path (same rule as the command line)."""
    if status not in STATUS_LABELS:
        raise FollowUpError("étape inconnue")
    set_status(session, candidate, status, staff=actor, note=note.strip()[:MAX_TEXT] or None)


def add_note(
    session: Session, candidate: Candidate, text: str, *, actor: str, due_on: date | None = None
) -> ProspectNote:
    """A note, or a task when ``due_on`` is given ("rappeler le 12")."""
    text = text.strip()
    if not text:
        raise FollowUpError("écrivez la note ou la tâche")
    note = ProspectNote(candidate_id=candidate.id, kind="task" if due_on else "note", text=text[:MAX_TEXT],
                        due_on=due_on, created_by=actor)
    session.add(note)
    session.flush()
    audit(session, actor, "followup.task" if due_on else "followup.note", "candidate", candidate.id,
          {"note": note.id})
    return note


def complete_task(session: Session, candidate: Candidate, note_id: int, *, actor: str) -> ProspectNote:
    """Mark a task of this prospect done (a task of another prospect is "introuvable")."""
    note = session.get(ProspectNote, note_id)
    if note is None or note.candidate_id != candidate.id or note.kind != "task":
        raise FollowUpError("tâche introuvable")
    if note.done_at is None:
        note.done_at, note.done_by = utcnow(), actor
        audit(session, actor, "followup.task_done", "candidate", candidate.id, {"note": note.id})
    return note


# --------------------------------------------------------------------------------------------------
# Timeline
# --------------------------------------------------------------------------------------------------


@dataclass
class TimelineItem:
    """One line of a prospect's history, newest first on the page."""

    at: datetime
    kind: str  # event | step | note | task | shortlist | answer | record
    text: str
    by: str | None = None
    note_id: int | None = None
    done: bool = False
    due_on: date | None = None
    link: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def _offer_titles(session: Session, offer_ids: set[int]) -> dict[int, str]:
    if not offer_ids:
        return {}
    rows = session.execute(select(Offer.id, Offer.title_clean, Offer.title, Offer.employer_name)
                           .where(Offer.id.in_(offer_ids)))
    return {i: f"« {clean or title} »" + (f" ({employer})" if employer else "") for i, clean, title, employer in rows}


def _shortlist_items(session: Session, candidate_id: int) -> list[TimelineItem]:
    rows = list(session.execute(
        select(ShortlistEntry, Shortlist).join(Shortlist, Shortlist.id == ShortlistEntry.shortlist_id)
        .where(ShortlistEntry.candidate_id == candidate_id)
    ))
    titles = _offer_titles(session, {s.offer_id for _, s in rows})
    items = []
    for entry, shortlist in rows:
        title = titles.get(shortlist.offer_id, f"offre n° {shortlist.offer_id}")
        link = f"/equipe/listes/{shortlist.id}"
        items.append(TimelineItem(as_utc(shortlist.created_at) or utcnow(), "shortlist",
                                  f"Proposé(e) pour {title} (liste n° {shortlist.id})", shortlist.created_by,
                                  link=link))
        if shortlist.sent_at:
            items.append(TimelineItem(as_utc(shortlist.sent_at) or utcnow(), "shortlist",
                                      f"Liste n° {shortlist.id} envoyée à {shortlist.recipient_email}",
                                      shortlist.approved_by, link=link))
        if entry.answer and entry.answered_at:
            comment = f" : « {entry.comment} »" if entry.comment else ""
            items.append(TimelineItem(as_utc(entry.answered_at) or utcnow(), "answer",
                                      f"Réponse de l'employeur pour {title} : {ANSWER_WORDS[entry.answer]}{comment}",
                                      link=link))
    return items


def timeline(session: Session, candidate: Candidate) -> list[TimelineItem]:
    """Everything that happened to the prospect, newest first: meetings, imports, steps, e-mails sent,
    notes and tasks, shortlists and employers' answers."""
    items: list[TimelineItem] = []
    for event, met_at in session.execute(
        select(Event, CandidateEvent.met_at).join(CandidateEvent, CandidateEvent.event_id == Event.id)
        .where(CandidateEvent.candidate_id == candidate.id)
    ):
        items.append(TimelineItem(as_utc(met_at) or utcnow(), "event", f"Rencontré(e) à {event.name}"))
    for step in candidate.path:
        text = f"Étape : {STATUS_LABELS.get(step.status, step.status)}"
        items.append(TimelineItem(as_utc(step.changed_at) or utcnow(), "step",
                                  text + (f" — {step.note}" if step.note else ""), step.staff))
    for note in session.scalars(select(ProspectNote).where(ProspectNote.candidate_id == candidate.id)):
        items.append(TimelineItem(as_utc(note.created_at) or utcnow(), note.kind, note.text, note.created_by,
                                  note_id=note.id, done=note.done_at is not None, due_on=note.due_on))
    items += _shortlist_items(session, candidate.id)
    for row in session.scalars(select(AuditLog).where(
        AuditLog.object_type == "candidate", AuditLog.object_id == str(candidate.id),
        AuditLog.action.in_(list(AUDIT_WORDS)),
    )):
        detail = row.detail or {}
        text = AUDIT_WORDS[row.action] + (f" — {detail['note']}" if isinstance(detail.get("note"), str) else "")
        items.append(TimelineItem(as_utc(row.at) or utcnow(), "record", text, row.actor))
    items.sort(key=lambda item: item.at, reverse=True)
    return items


# --------------------------------------------------------------------------------------------------
# To-do page
# --------------------------------------------------------------------------------------------------


@dataclass
class TodoList:
    tasks: list[tuple[ProspectNote, Candidate]]
    answers: list[tuple[ShortlistEntry, Shortlist, Candidate, str]]


def todo(session: Session, *, today: date, visible: object = None) -> TodoList:
    """Open tasks due today or before, and the employers' answers nobody has looked at yet.

    ``visible`` is an optional SQL condition on ``Candidate`` (a référent's territory)."""
    task_query = (
        select(ProspectNote, Candidate).join(Candidate, Candidate.id == ProspectNote.candidate_id)
        .where(ProspectNote.kind == "task", ProspectNote.done_at.is_(None), ProspectNote.due_on <= today,
               Candidate.anonymized_at.is_(None))
        .order_by(ProspectNote.due_on, ProspectNote.id)
    )
    answer_query = (
        select(ShortlistEntry, Shortlist, Candidate)
        .join(Shortlist, Shortlist.id == ShortlistEntry.shortlist_id)
        .join(Candidate, Candidate.id == ShortlistEntry.candidate_id)
        .where(ShortlistEntry.answer.is_not(None), ShortlistEntry.answer_seen_at.is_(None),
               Candidate.anonymized_at.is_(None))
        .order_by(ShortlistEntry.answered_at.desc())
    )
    if visible is not None:
        task_query = task_query.where(visible)  # type: ignore[arg-type]
        answer_query = answer_query.where(visible)  # type: ignore[arg-type]
    tasks = [(n, c) for n, c in session.execute(task_query.limit(200))]
    answer_rows = list(session.execute(answer_query.limit(200)))
    titles = _offer_titles(session, {s.offer_id for _, s, _ in answer_rows})
    answers = [(e, s, c, titles.get(s.offer_id, "")) for e, s, c in answer_rows]
    return TodoList(tasks, answers)


def mark_answers_seen(session: Session, shortlist: Shortlist, *, actor: str) -> int:
    """The answers of a shortlist leave the to-do page once someone opened the shortlist."""
    now, seen = utcnow(), 0
    for entry in shortlist.entries:
        if entry.answer and entry.answer_seen_at is None:
            entry.answer_seen_at = now
            seen += 1
    if seen:
        audit(session, actor, "followup.answers_seen", "shortlist", shortlist.id, {"entries": seen})
    return seen


# --------------------------------------------------------------------------------------------------
# An employer answered
# --------------------------------------------------------------------------------------------------


@dataclass
class AnswerNotice:
    """One e-mail to write to the person following a prospect about an employer's answer."""

    to: str
    to_name: str
    candidate: Candidate
    answer: str
    comment: str | None
    offer_title: str
    shortlist_id: int


def _follower(session: Session, candidate: Candidate, shortlist: Shortlist) -> tuple[str, str] | None:
    """The prospect's référent, else the staff member who prepared the shortlist: (address, name)."""
    if candidate.referent_id:
        referent = session.get(User, candidate.referent_id)
        if referent is not None and referent.active:
            return referent.email, referent.full_name or referent.email
    if shortlist.created_by and "@" in shortlist.created_by:
        staff = session.scalar(select(User).where(User.email == shortlist.created_by))
        return shortlist.created_by, (staff.full_name if staff and staff.full_name else shortlist.created_by)
    return None


def employer_answered(
    session: Session, shortlist: Shortlist, entry_ids: list[int], *, now: datetime | None = None
) -> list[AnswerNotice]:
    """After an employer's answers: an "interested" moves an early prospect to "en entretien" (a step
    on their path) and each answer gives one notice for the prospect's référent (or the proposer)."""
    now = now or utcnow()
    offer = session.get(Offer, shortlist.offer_id)
    title = (offer.title_clean or offer.title) if offer else f"offre n° {shortlist.offer_id}"
    employer = (offer.employer_name if offer else None) or "l'employeur"
    notices = []
    for entry in shortlist.entries:
        if entry.id not in entry_ids or entry.answer not in ANSWER_WORDS:
            continue
        candidate = session.get(Candidate, entry.candidate_id)
        if candidate is None or candidate.anonymized_at is not None:
            continue
        if entry.answer == "interested" and candidate.status in EARLY_STEPS:
            set_status(session, candidate, "interviewing", staff=None, at=now,
                       note=f"{employer} est intéressé pour « {title} » (liste n° {shortlist.id})")
        follower = _follower(session, candidate, shortlist)
        if follower:
            notices.append(AnswerNotice(follower[0], follower[1], candidate, entry.answer, entry.comment, title,
                                        shortlist.id))
    return notices


def answer_notice_text(notice: AnswerNotice, base_url: str) -> tuple[str, str]:
    """Subject and plain text of the e-mail telling the follower about an employer's answer."""
    name = person_name(notice.candidate)
    word = ANSWER_WORDS[notice.answer]
    subject = f"Réponse d'employeur pour {name} : {word}"
    lines = [
        f"Bonjour {notice.to_name},",
        "",
        f"L'employeur a répondu « {word} » pour {name}, proposé(e) pour « {notice.offer_title} ».",
    ]
    if notice.comment:
        lines += ["", f"Son commentaire : « {notice.comment} »"]
    lines += [
        "",
        f"La fiche du prospect : {base_url}/equipe/prospects/{notice.candidate.id}",
        f"La liste : {base_url}/equipe/listes/{notice.shortlist_id}",
        "",
        "Oh my Lot !",
    ]
    return subject, "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------
# Hand-over to another territory's référent
# --------------------------------------------------------------------------------------------------


def referents(session: Session, *, except_id: int | None = None) -> list[User]:
    """The active référents (to hand a household over to), by name."""
    rows = session.scalars(select(User).where(User.role == "referent", User.active.is_(True)))
    return sorted((u for u in rows if u.id != except_id), key=lambda u: (u.full_name or u.email).lower())


def hand_over(
    session: Session, members: list[Candidate], referent_id: int, note: str, *, actor: str
) -> User:
    """Give every member of a household to another référent, with a note on each timeline."""
    referent = session.get(User, referent_id)
    if referent is None or referent.role != "referent" or not referent.active:
        raise FollowUpError("choisissez un référent accueil actif")
    note = note.strip()
    if len(note) < 3:
        raise FollowUpError("écrivez une note pour le référent qui reprend le suivi")
    name = referent.full_name or referent.email
    for member in members:
        member.referent_id = referent.id
        session.add(ProspectNote(candidate_id=member.id, kind="note", created_by=actor,
                                 text=f"Suivi confié à {name} : {note[:MAX_TEXT]}"))
        audit(session, actor, "candidates.handover", "candidate", member.id, {"referent": referent.id})
    session.flush()
    return referent


# --------------------------------------------------------------------------------------------------
# A référent's territory in figures
# --------------------------------------------------------------------------------------------------


@dataclass
class TerritoryFigures:
    prospects_by_step: list[tuple[str, int]]
    prospects: int
    households: int
    open_offers: int
    tasks_due: int
    new_answers: int


def territory_figures(session: Session, *, scope: object, epcis: list[str], today: date) -> TerritoryFigures:
    """The figures of a référent's territory: prospects per step, households, open offers, work to do.

    ``scope`` is the SQL condition on ``Candidate`` of the référent's territory (``web.visibility``)."""
    visible = [Candidate.anonymized_at.is_(None), scope]
    counts = dict(session.execute(
        select(Candidate.status, func.count()).where(*visible).group_by(Candidate.status)  # type: ignore[arg-type]
    ).all())
    households = session.scalar(
        select(func.count(func.distinct(Candidate.household_id))).where(*visible,  # type: ignore[arg-type]
                                                                        Candidate.household_id.is_not(None))
    ) or 0
    offers = session.scalar(
        select(func.count()).select_from(Offer).where(Offer.status == "open", Offer.epci.in_(epcis or ["-"]))
    ) or 0
    pending = todo(session, today=today, visible=scope)
    return TerritoryFigures(
        prospects_by_step=[(label, int(counts.get(code, 0))) for code, label in STATUS_LABELS.items()],
        prospects=int(sum(counts.values())),
        households=int(households),
        open_offers=int(offers),
        tasks_due=len(pending.tasks),
        new_answers=len(pending.answers),
    )
