"""Employer identifiers and sectors: SIRET checks and the NAF (rév. 2) nomenclature.

- ``check_siret(text) -> SiretCheck``: 14 digits (spaces, dots and dashes allowed in input) whose Luhn sum is
  a multiple of 10. La Poste is the documented exception: its establishments share the SIREN 356 000 000 and
  their SIRETs follow another rule, the sum of the 14 digits is a multiple of 5 (the head office,
  356 000 000 00048, also passes Luhn).
- ``naf_divisions()``: the 88 NAF divisions (``"56"`` → label, section letter) read once from
  ``matching/data/naf.csv``; ``naf_sections()``: the 21 sections (``"I"`` → "Hébergement et restauration");
  ``sector_of(code)``: the section letter of any NAF code (``"56.10A"`` → ``"I"``).

Pure functions, no I/O beyond the packaged reference file.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

NAF_CSV = Path(__file__).resolve().parent / "data" / "naf.csv"
LA_POSTE_SIREN = "356000000"
_SEPARATORS = re.compile(r"[\s.\-\u00a0\u202f]")


@dataclass(frozen=True)
class SiretCheck:
    """The outcome of a SIRET check: the cleaned value (14 digits) or a French error for the form."""

    value: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum (used by SIREN and SIRET)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def check_siret(text: str | None) -> SiretCheck:
    """Check a SIRET typed in a form (see the module docstring for the rules)."""
    cleaned = _SEPARATORS.sub("", text or "")
    if not cleaned:
        return SiretCheck(None, "Indiquez le numéro SIRET (14 chiffres).")
    if not cleaned.isdigit():
        return SiretCheck(None, "Le SIRET ne contient que des chiffres (14 chiffres).")
    if len(cleaned) != 14:
        return SiretCheck(None, f"Le SIRET compte 14 chiffres ; vous en avez saisi {len(cleaned)}.")
    if cleaned.startswith(LA_POSTE_SIREN):
        if luhn_ok(cleaned) or sum(int(c) for c in cleaned) % 5 == 0:
            return SiretCheck(cleaned, None)
        return SiretCheck(None, "Ce SIRET de La Poste n'est pas valide : vérifiez les chiffres.")
    if not luhn_ok(cleaned[:9]):
        return SiretCheck(None, "Le SIREN (9 premiers chiffres) n'est pas valide : vérifiez les chiffres.")
    if not luhn_ok(cleaned):
        return SiretCheck(None, "Ce SIRET n'est pas valide (clé de contrôle) : vérifiez les chiffres.")
    return SiretCheck(cleaned, None)


@dataclass(frozen=True)
class NafEntry:
    code: str
    label: str
    section: str


@cache
def _naf_rows() -> tuple[dict[str, str], ...]:
    with NAF_CSV.open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


@cache
def naf_divisions() -> dict[str, NafEntry]:
    """The NAF divisions (2-digit codes), in code order."""
    return {
        row["code"]: NafEntry(row["code"], row["label"], row["section"])
        for row in _naf_rows()
        if row["level"] == "division"
    }


@cache
def naf_sections() -> dict[str, str]:
    """Section letter → label. Sections have no row of their own in the file: each is named after the
    labels of its divisions when the file has no section row."""
    sections: dict[str, str] = {}
    for row in _naf_rows():
        if row["level"] == "section":
            sections[row["code"]] = row["label"]
    for entry in naf_divisions().values():
        sections.setdefault(entry.section, SECTION_LABELS.get(entry.section, entry.label))
    return dict(sorted(sections.items()))


def sector_of(code: str | None) -> str | None:
    """The NAF section letter of a division, group, class or sub-class code (or of a section letter)."""
    if not code:
        return None
    code = code.strip().upper()
    if len(code) == 1 and code.isalpha():
        return code if code in naf_sections() else None
    entry = naf_divisions().get(code[:2])
    return entry.section if entry else None


# The official section titles (INSEE, NAF rév. 2), used when the reference file has no section rows.
SECTION_LABELS = {
    "A": "Agriculture, sylviculture et pêche",
    "B": "Industries extractives",
    "C": "Industrie manufacturière",
    "D": "Production et distribution d'électricité, de gaz, de vapeur et d'air conditionné",
    "E": "Production et distribution d'eau ; assainissement, gestion des déchets et dépollution",
    "F": "Construction",
    "G": "Commerce ; réparation d'automobiles et de motocycles",
    "H": "Transports et entreposage",
    "I": "Hébergement et restauration",
    "J": "Information et communication",
    "K": "Activités financières et d'assurance",
    "L": "Activités immobilières",
    "M": "Activités spécialisées, scientifiques et techniques",
    "N": "Activités de services administratifs et de soutien",
    "O": "Administration publique",
    "P": "Enseignement",
    "Q": "Santé humaine et action sociale",
    "R": "Arts, spectacles et activités récréatives",
    "S": "Autres activités de services",
    "T": "Activités des ménages en tant qu'employeurs",
    "U": "Activités extra-territoriales",
}
