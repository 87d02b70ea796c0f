"""The documents the system sends (e-mails, PDFs): one Jinja2 environment and the French date format.

Templates live in ``services/templates/``; autoescaping follows the file extension exactly like the web
app's environment (``.html`` escaped, ``.txt`` not). Pages shown in the browser stay in ``web/templates/``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]
PARIS = ZoneInfo("Europe/Paris")


def fr_date(value: datetime | date | None, with_time: bool = False) -> str:
    """``3 mars 2026`` (``3 mars 2026 à 14 h 05`` with time), in the Lot's time zone."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(PARIS)
    text = f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    if with_time and isinstance(value, datetime):
        text += f" à {value.hour} h {value.minute:02d}"
    return text


CONTRACT_LABELS = {
    "CDI": "CDI",
    "CDD": "CDD",
    "interim": "Intérim",
    "apprentissage": "Apprentissage",
    "professionnalisation": "Contrat de professionnalisation",
    "stage": "Stage",
    "saisonnier": "Saisonnier",
    "liberal": "Libéral",
    "titulaire": "Fonction publique (titulaire)",
    "contractuel": "Fonction publique (contractuel)",
    "independant": "Indépendant",
    "autre": "Autre",
}


def fr_number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return text


def years_text(value: float | int | None) -> str:
    """A number of years, the same everywhere (page, PDF, e-mail): ``1 an``, ``3 ans``, ``2,5 ans``."""
    if value is None:
        return "—"
    rounded = round(float(value), 1)
    number = fr_number(rounded, 0 if rounded.is_integer() else 1)
    return f"{number} an" if rounded < 2 else f"{number} ans"


environment = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=select_autoescape())
environment.filters["fr_date"] = fr_date
environment.filters["years"] = years_text
environment.globals["fr_date"] = fr_date


def render(name: str, **context: Any) -> str:
    """Render one document template of ``services/templates/``."""
    return environment.get_template(name).render(**context)
