"""The dashboard (pygal SVG charts with their data tables) and crawl health per source."""

from __future__ import annotations

import csv
import io
import statistics
from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from services.abuse import refusal_counts
from services.auth import NotFoundForRole
from services.followup import territory_figures
from services.reference import epci_name
from services.visibility import candidate_scope
from services.welcome_report import welcome_figures
from store.crawls import RUN_STATUS_LABELS
from store.leases import reap_stale_runs
from store.models import CrawlRun, LoginAttempt, Source
from store.models import as_utc as _aware
from web.charts import CHARTS
from web.deps import SessionDep, StaffUser
from web.templating import render

router = APIRouter(prefix="/equipe", include_in_schema=False)

CHART_TITLES = {
    "offres-par-mois": "Offres par mois et par secteur",
    "offres-par-epci": "Offres ouvertes par intercommunalité",
    "parcours-par-evenement": "Parcours des prospects par événement (de rencontré à installé)",
    "chiffres-annuels": "Chiffres de l'année",
    "accueil-par-territoire": "Accueil des foyers par territoire (année en cours)",
}


@router.get("/tableau")
def dashboard(request: Request, session: SessionDep, user: StaffUser) -> Response:
    if user.role == "referent":
        # A référent's dashboard is their territory's, not the whole département's.
        figures = territory_figures(session, scope=candidate_scope(session, user), epcis=user.territory or [],
                                    today=date.today())
        names = [epci_name(code) for code in user.territory or []]
        return render(request, "staff/territory.html", {"figures": figures, "names": names})
    tables = {name: data(session) for name, (data, _chart) in CHARTS.items()}
    return render(request, "staff/dashboard.html", {"tables": tables, "titles": CHART_TITLES})


@router.get("/tableau/accueil.csv")
def welcome_csv(session: SessionDep, user: StaffUser, annee: int | None = None) -> Response:
    """The welcome figures of a year as ``rubrique;libellé;valeur`` (UTF-8 with BOM, like ``ohmylot report``)."""
    year = annee or datetime.now(UTC).year
    if not 2000 <= year <= 2100:
        raise HTTPException(status_code=404)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["rubrique", "libellé", "valeur"])
    writer.writerows(welcome_figures(session, year).rows())
    return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="accueil-{year}.csv"'})


@router.get("/tableau/{name}.svg")
def chart(session: SessionDep, user: StaffUser, name: str) -> Response:
    if name not in CHARTS or user.role == "referent":
        raise HTTPException(status_code=404)
    data, draw = CHARTS[name]
    return Response(draw(data(session)), media_type="image/svg+xml")




def source_health(session, *, now: datetime | None = None) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """Per source: last run, last success, and its alerts (RELIABILITY.md C7).

    The alerts are those the crawl's monitors stored with the run (``CrawlRun.stats["health"]``); for a run
    recorded without them: failed / partial, or fewer than 50 % of the median of the 5 previous good runs.
    """
    now = now or datetime.now(UTC)
    runs_by_source: dict[str, list[CrawlRun]] = {}
    since = now - timedelta(days=120)
    recent = select(CrawlRun).where(CrawlRun.started_at >= since).order_by(CrawlRun.started_at.desc())
    for run in session.scalars(recent):
        runs_by_source.setdefault(run.source_id, []).append(run)
    health = []
    for source in session.scalars(select(Source).order_by(Source.name)):
        runs = runs_by_source.get(source.id, [])
        last = runs[0] if runs else None
        good = [r for r in runs if r.status == "success"]
        previous_good = [r.items_scraped for r in good if r is not last][:5]
        median = statistics.median(previous_good) if previous_good else None
        alerts: list[str] = []
        stored = (last.stats or {}).get("health") if last is not None else None
        if last is None:
            alerts.append("aucune collecte depuis 120 jours")
        elif isinstance(stored, list):
            # The crawl's own monitors (crawlers/monitors.py) judged the run when it finished.
            alerts += [str(issue.get("message")) for issue in stored if isinstance(issue, dict)]
        else:
            if last.status in {"failed", "partial"}:
                alerts.append(f"dernière collecte {'échouée' if last.status == 'failed' else 'partielle'}"
                              f"{' (' + last.finish_reason + ')' if last.finish_reason else ''}")
            if last.status == "interrupted":
                alerts.append(f"dernière collecte {(last.stats or {}).get('failure', 'interrompue')}")
            if median and last.status != "running" and last.items_scraped < 0.5 * median:
                alerts.append(f"{last.items_scraped} offres contre {median:g} d'habitude")
        health.append({
            "source": source,
            "last": last,
            "status": RUN_STATUS_LABELS.get(last.status, last.status) if last else None,
            "last_success": _aware(good[0].finished_at or good[0].started_at) if good else None,
            "median": median,
            "runs": len(runs),
            "alerts": alerts,
            "duration": (
                (_aware(last.finished_at) - _aware(last.started_at)).total_seconds()  # type: ignore[operator]
                if last and last.finished_at else None
            ),
        })
    return health


@router.get("/collecte")
def crawl_health(request: Request, session: SessionDep, user: StaffUser) -> Response:
    if user.role == "referent":
        raise NotFoundForRole  # the crawl of every source is the staff's work, not a territory's
    reap_stale_runs(session)  # a crawl that died shows as interrupted, not "en cours" for ever
    return render(request, "staff/crawl.html", {"health": source_health(session)})


@router.get("/securite")
def security(request: Request, session: SessionDep, user: StaffUser) -> Response:
    """Refused public-form submissions and failed logins (docs/reliability.md R4, R7)."""
    if user.role == "referent":
        raise NotFoundForRole  # every account's failed sign-ins: the staff's to watch, not a territory's
    now = datetime.now(UTC)
    failures = session.execute(
        select(LoginAttempt.email, func.count(), func.count(func.distinct(LoginAttempt.ip)), func.max(LoginAttempt.at))
        .where(LoginAttempt.success.is_(False), LoginAttempt.at >= now - timedelta(days=7))
        .group_by(LoginAttempt.email).order_by(func.count().desc()).limit(50)
    ).all()
    return render(request, "staff/security.html", {
        "day": refusal_counts(session, since=now - timedelta(days=1)),
        "week": refusal_counts(session, since=now - timedelta(days=7)),
        "failures": [(email, count, ips, _aware(last)) for email, count, ips, last in failures],
    })
