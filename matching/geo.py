"""Gazetteer of French communes: place strings as offers and people write them → a ``Place``.

Data (``matching/data/``, see ``SOURCES.md``): ``communes.csv`` (every current commune with postal codes,
coordinates, population, département, EPCI), ``communes_deleguees.csv`` (former, delegated and associated
communes and the Paris/Lyon/Marseille arrondissements, each pointing to its current commune), ``epci.csv``,
``departements.csv`` and ``regions.csv``.

What ``Gazetteer.resolve`` understands:

- ``"46 - CAHORS"``, ``"Cahors (46)"``, ``"St Céré (46400)"``, ``"46000 Cahors"``, ``"Cahors 46000"``,
  ``"Figeac, Occitanie, France"``, ``"ST CERE"``, ``"Saint-Céré"``, ``"Cahors Cedex 9"``;
- former commune names ("Labastide-Murat" → Cœur de Causse) and old INSEE codes (they map to the current
  commune);
- arrondissements: ``"Paris 15e"``, ``"Lyon 3ème"``, ``"Marseille 13e arrondissement"``, ``"PARIS 01"``
  → the commune (Paris, Lyon, Marseille) with the arrondissement's postal code;
- a bare département (``"46 - Lot"``, ``"Lot (46)"``, ``"Lot"``) → a ``Place`` of level ``departement``
  placed on the département's chef-lieu;
- the INSEE-versus-postal-code trap: a code passed as ``insee=`` is read as an INSEE code first, a code in
  free text or passed as ``postal_code=`` as a postal code first; the other reading is tried when the first
  one does not fit the name;
- typos (rapidfuzz ``ratio`` among the names that share the département, or the first letter);
- coordinates (``lat=``/``lon=``, swapped ones detected) as a last resort: the nearest commune centre.

Homonyms ("Saint-Sauveur": 11 communes) are settled by the département or postal code when one is given,
then by the territory of interest (``OHMYLOT_TERRITORY``, comma-separated département codes, default
``46,12,15,19,24,47,82``: the Lot and its neighbours), then by population.

``get_gazetteer()`` builds the index once per process (about 0.3 s: plain CSV reading, no cache file).
Distances (``haversine_km``, ``distance_km``…) live in ``matching.distances`` and are re-exported here.

Size (issue 20): over 600 lines on purpose: the ``Gazetteer`` is one index whose resolution steps (codes,
names, homonyms, typos, coordinates) all read the private tables its loader builds; splitting the class
would expose those tables rather than hide them.
"""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from matching.cache import cached_build
from matching.distances import EARTH_KM as EARTH_KM  # re-exported: callers import distances from here
from matching.distances import chord_km as chord_km
from matching.distances import distance_km as distance_km
from matching.distances import float_or_none as _float_or_none
from matching.distances import haversine_km as haversine_km
from matching.distances import unit_vectors as unit_vectors
from matching.once import built_once
from matching.text import fold
from matching.types import Place

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_TERRITORY = ("46", "12", "15", "19", "24", "47", "82")

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SUR = re.compile(r"\bs/\s*", re.IGNORECASE)
_CEDEX = re.compile(r"\bcedex\b(?:\s*\d{1,3})?", re.IGNORECASE)
_FIVE_DIGITS = re.compile(r"(?<![0-9A-Za-z])(\d{5}|2[ABab]\d{3})(?![0-9A-Za-z])")
_PAREN_CODE = re.compile(r"\(\s*(\d{2,3}|2[ABab])\s*\)")
_PREFIX_CODE = re.compile(r"^\s*(\d{2,3}|2[ABab])\s*[-–—:]\s*(.*)$", re.DOTALL)
_SUFFIX_CODE = re.compile(r"^(.*?\S)\s*[-–—,]\s*(\d{2,3}|2[ABab])\s*$", re.DOTALL)
_TRAILING_CODE = re.compile(r"^(.*[^\W\d_])\s+(\d{2}|2[ABab])\s*$", re.DOTALL)
_ARRONDISSEMENT = re.compile(
    r"^(paris|lyon|marseille)\s*[-,]?\s*(\d{1,2})\s*(?:e|er|eme|ere|ieme|em|è|ème|°)?\s*"
    r"(?:arr(?:ondissement|t)?\.?)?\s*$"
)
_NOISE_WORDS = re.compile(
    r"\b(?:secteur|region de|proche de|proche|pres de|environs de|alentours de|agglomeration de|agglomeration"
    r"|et alentours|et environs|centre ville|centre-ville|france|fr)\b"
)
_SPLIT = re.compile(r"\s*(?:,|;|/|\|| - | – | — |\n)\s*")
_CODE_ONLY = re.compile(r"^(?:\d{2,3}|2[ab])$")

_ARTICLES = ("le ", "la ", "les ", "l ")
_OLD_REGIONS = {
    "Midi-Pyrénées": "76", "Languedoc-Roussillon": "76", "Occitanie Pyrénées-Méditerranée": "76",
    "Aquitaine": "75", "Limousin": "75", "Poitou-Charentes": "75", "Auvergne": "84", "Rhône-Alpes": "84",
    "Ile de France": "11", "IDF": "11", "Nord-Pas-de-Calais": "32", "Picardie": "32", "Alsace": "44",
    "Lorraine": "44", "Champagne-Ardenne": "44", "Bourgogne": "27", "Franche-Comté": "27",
    "Basse-Normandie": "28", "Haute-Normandie": "28", "PACA": "93", "Provence-Alpes-Côte d'Azur": "93",
}


_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "’": "'"})


def _fast_fold(name: object) -> str:
    """Lower-case ASCII form of a name (accents and ligatures removed, other non-ASCII dropped).

    ``matching.text.fold`` gives the same result on French place names; this version runs in C (it is
    called for 37,000 names when the gazetteer is built).
    """
    if name is None:
        return ""
    text = name if isinstance(name, str) else fold(name)
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return text.encode("ascii", "ignore").decode("ascii").lower()


def place_key(name: object) -> str:
    """Comparable form of a place name: folded, punctuation to spaces, "saint"→"st", "sainte"→"ste".

    "Saint-Céré", "ST CERE" and "St Céré" all give ``"st cere"``; "Villeneuve s/ Lot" gives
    ``"villeneuve sur lot"``.
    """
    text = _fast_fold(name)
    text = _SUR.sub("sur ", text)
    words = _NON_ALNUM.sub(" ", text).split()
    out = []
    for word in words:
        if word == "saint":
            out.append("st")
        elif word == "sainte":
            out.append("ste")
        else:
            out.append(word)
    return " ".join(out)


@dataclass(frozen=True, slots=True)
class _Commune:
    insee: str
    name: str
    postal_codes: tuple[str, ...]
    lat: float | None
    lon: float | None
    population: int
    departement: str
    epci: str | None


def _float(value: str) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _territory_codes() -> frozenset[str]:
    raw = os.environ.get("OHMYLOT_TERRITORY", "")
    return _parse_territory(raw)


@lru_cache(maxsize=16)
def _parse_territory(raw: str) -> frozenset[str]:
    codes = [c.strip().upper() for c in raw.split(",") if c.strip()]
    codes = [c.zfill(2) if c.isdigit() and len(c) == 1 else c for c in codes]
    return frozenset(codes or DEFAULT_TERRITORY)


def departement_of_postal_code(code: str) -> str | None:
    """The département a postal code belongs to ("46400" → "46", "20000" → None: Corsica is ambiguous)."""
    if not code or len(code) != 5 or not code.isdigit():
        return None
    if code.startswith("97") or code.startswith("98"):
        return code[:3]
    if code.startswith("20"):
        return None
    return code[:2]


def departement_of_insee(code: str) -> str:
    """The département of an INSEE commune code ("46042" → "46", "97411" → "974", "2A004" → "2A")."""
    code = code.upper()
    return code[:3] if code.startswith(("97", "98")) else code[:2]


class Gazetteer:
    """In-memory index of communes, former communes, départements and EPCIs (see module docstring)."""

    def __init__(self, data_dir: Path = DATA_DIR, territory: str | None = None) -> None:
        self._territory_raw = territory
        self.communes: dict[str, _Commune] = {}
        self._alias: dict[str, str] = {}  # old / delegated / arrondissement INSEE code → current commune
        self._arrondissement_postal: dict[str, str] = {}  # arrondissement INSEE → its postal code
        self._by_key: dict[str, list[str]] = defaultdict(list)  # place_key → INSEE codes (best first later)
        # How a key names a commune: 0 its current name, 1 a former / delegated name, 2 without its article.
        self._key_rank: dict[tuple[str, str], int] = {}
        self._by_postal: dict[str, list[str]] = defaultdict(list)
        self._keys_by_dep: dict[str, list[str]] = defaultdict(list)
        self._keys_by_letter: dict[str, list[str]] = defaultdict(list)
        self.departements: dict[str, tuple[str, str]] = {}  # code → (name, chef-lieu INSEE)
        self._dep_by_key: dict[str, str] = {}
        self._region_deps: dict[str, frozenset[str]] = {}  # region name key → its départements
        self.epcis: dict[str, str] = {}
        self._epci_members: dict[str, list[str]] = defaultdict(list)
        self._grid: dict[tuple[int, int], list[str]] = defaultdict(list)
        self._place_cache: dict[tuple[str, str | None], Place] = {}
        self._resolve_cache: dict[tuple[object, ...], Place | None] = {}
        self._territory_key_cache: dict[tuple[frozenset[str], str], list[str]] = {}
        self._load(data_dir)

    # ------------------------------------------------------------------ loading
    def _load(self, data_dir: Path) -> None:
        with open(data_dir / "communes.csv", encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            col = {name: i for i, name in enumerate(next(reader))}
            i_insee, i_name, i_postal = col["insee"], col["name"], col["postal_codes"]
            i_lat, i_lon, i_pop = col["lat"], col["lon"], col["population"]
            i_dep, i_epci = col["departement"], col["epci"]
            for row in reader:
                commune = _Commune(
                    insee=row[i_insee],
                    name=row[i_name],
                    postal_codes=tuple(p for p in row[i_postal].split("|") if p),
                    lat=_float(row[i_lat]),
                    lon=_float(row[i_lon]),
                    population=int(row[i_pop] or 0),
                    departement=row[i_dep],
                    epci=row[i_epci] or None,
                )
                self.communes[commune.insee] = commune
                self._add_key(place_key(commune.name), commune.insee, commune.departement, 0)
                for code in commune.postal_codes:
                    self._by_postal[code].append(commune.insee)
                if commune.epci:
                    self._epci_members[commune.epci].append(commune.insee)
                if commune.lat is not None and commune.lon is not None:
                    self._grid[(int(commune.lat * 5), int(commune.lon * 5))].append(commune.insee)
        with open(data_dir / "communes_deleguees.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                parent = row["parent_insee"]
                if parent not in self.communes:
                    continue
                if row["insee"] != parent and row["insee"] not in self.communes:
                    self._alias[row["insee"]] = parent
                if row["type"] == "arrondissement-municipal":
                    self._add_arrondissement(row["insee"], parent)
                else:
                    self._add_key(place_key(row["name"]), parent, row["departement"], 1)
        deps_of_region: dict[str, set[str]] = defaultdict(set)
        with open(data_dir / "departements.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                self.departements[row["code"]] = (row["name"], row["chef_lieu"])
                self._dep_by_key[place_key(row["name"])] = row["code"]
                deps_of_region[row["region"]].add(row["code"])
        with open(data_dir / "regions.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                self._region_deps[place_key(row["name"])] = frozenset(deps_of_region[row["code"]])
        # Region names from before 2016, still written in offers, mapped to today's regions.
        for old, code in _OLD_REGIONS.items():
            self._region_deps[place_key(old)] = frozenset(deps_of_region[code])
        with open(data_dir / "epci.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                self.epcis[row["siren"]] = row["name"]
        communes, ranks = self.communes, self._key_rank
        for key, codes in self._by_key.items():
            if len(codes) > 1:
                unique = list(dict.fromkeys(codes))
                unique.sort(key=lambda c, k=key: (ranks.get((k, c), 2), -communes[c].population))
                codes[:] = unique
        for key in self._by_key:
            self._keys_by_letter[key[:1]].append(key)
        for dep, keys in self._keys_by_dep.items():
            self._keys_by_dep[dep] = list(dict.fromkeys(keys))

    def _add_key(self, key: str, insee: str, departement: str, rank: int) -> None:
        """Index a name; a homonym list is later ordered by rank (current name first), then population."""
        if not key:
            return
        self._by_key[key].append(insee)
        self._keys_by_dep[departement].append(key)
        self._key_rank[(key, insee)] = min(rank, self._key_rank.get((key, insee), rank))
        for article in _ARTICLES:
            if key.startswith(article) and len(key) > len(article) + 2:
                stripped = key[len(article):]
                self._by_key[stripped].append(insee)
                self._keys_by_dep[departement].append(stripped)
                self._key_rank.setdefault((stripped, insee), 2)

    def _add_arrondissement(self, insee: str, parent: str) -> None:
        number = int(insee[-1:]) if parent == "69123" else int(insee[-2:])
        if parent == "75056":
            postal = "75116" if insee == "75116" else f"750{number:02d}"
        elif parent == "69123":
            postal = f"6900{number}"
        else:  # Marseille
            postal = f"130{number:02d}"
        self._arrondissement_postal[insee] = postal
        self._by_postal.setdefault(postal, [])
        if parent not in self._by_postal[postal]:
            self._by_postal[postal].append(parent)

    # ------------------------------------------------------------------ public API
    @property
    def territory(self) -> frozenset[str]:
        """Département codes of the territory of interest (``OHMYLOT_TERRITORY``)."""
        if self._territory_raw is not None:
            return _parse_territory(self._territory_raw)
        return _territory_codes()

    def in_territory(self, place: Place | None) -> bool:
        """Whether a place lies in one of the territory's départements."""
        return bool(place and place.departement and place.departement in self.territory)

    def commune(self, insee: str | None) -> Place | None:
        """The current commune for an INSEE code (current, former or arrondissement code), or None."""
        if not insee:
            return None
        code = str(insee).strip().upper()
        if code in self.communes:
            return self._place(code)
        parent = self._alias.get(code)
        if parent:
            return self._place(parent, self._arrondissement_postal.get(code))
        return None

    def epci_name(self, siren: str | None) -> str | None:
        """Name of an intercommunality from its SIREN ("200066371" → "CC Causses et Vallée de la Dordogne")."""
        return self.epcis.get(str(siren).strip()) if siren else None

    def communes_in_epci(self, siren: str | None) -> list[Place]:
        """Communes of an intercommunality, most populous first."""
        codes = self._epci_members.get(str(siren).strip(), []) if siren else []
        return [self._place(c) for c in sorted(codes, key=lambda c: -self.communes[c].population)]

    def departement_place(self, code: str) -> Place | None:
        """A département-level place, located on its chef-lieu."""
        found = self.departements.get(code)
        if not found:
            return None
        name, chef_lieu = found
        seat = self.communes.get(chef_lieu)
        return Place(
            insee=None,
            name=name,
            postal_code=None,
            departement=code,
            epci=None,
            lat=seat.lat if seat else None,
            lon=seat.lon if seat else None,
            level="departement",
        )

    def departement_code(self, value: object) -> str | None:
        """A département code from a code or a name ("46", "Lot", "Rhône (69)", "VAL DE MARNE" → "94")."""
        if value is None:
            return None
        text = str(value).strip()
        if not text:
            return None
        match = _PAREN_CODE.search(text)
        if match:
            return self._dep_code(match.group(1))
        code = self._dep_code(text)
        if code:
            return code
        return self._dep_by_key.get(place_key(text))

    def _dep_code(self, text: str) -> str | None:
        code = text.strip().upper()
        if code.isdigit() and len(code) == 1:
            code = "0" + code
        return code if code in self.departements else None

    def nearest(self, lat: object, lon: object) -> Place | None:
        """The commune whose centre is nearest to (lat, lon) (swapped coordinates are detected), or None."""
        la, lo = _float_or_none(lat), _float_or_none(lon)
        if la is None or lo is None:
            return None
        best = self._nearest(la, lo)
        if best is None and -10 < la < 60 and -10 < lo < 60:
            best = self._nearest(lo, la)
        return self._place(best) if best else None

    def _nearest(self, lat: float, lon: float) -> str | None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None
        cy, cx = int(lat * 5), int(lon * 5)
        best, best_d = None, 15.0  # km: farther than that is not in any commune we know
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                for code in self._grid.get((cy + dy, cx + dx), ()):
                    c = self.communes[code]
                    d = haversine_km(lat, lon, c.lat, c.lon)  # type: ignore[arg-type]
                    if d < best_d:
                        best, best_d = code, d
        return best

    def resolve(
        self,
        text: str | None,
        *,
        postal_code: object = None,
        city: object = None,
        departement: object = None,
        insee: object = None,
        lat: object = None,
        lon: object = None,
    ) -> Place | None:
        """Resolve a place written by a source or a person; None when nothing fits. Never raises."""
        key = (text, postal_code, city, departement, insee, lat, lon, self.territory)
        try:
            cached = self._resolve_cache[key]
        except (KeyError, TypeError):
            pass
        else:
            return cached
        try:
            place = self._resolve(
                _str(text), _str(postal_code), _str(city), _str(departement), _str(insee), lat, lon
            )
        except Exception:  # noqa: BLE001 - a gazetteer look-up must never break a crawl
            place = None
        try:
            if len(self._resolve_cache) > 100_000:
                self._resolve_cache.clear()
            self._resolve_cache[key] = place
        except TypeError:
            pass
        return place

    # ------------------------------------------------------------------ resolution
    def _resolve(
        self,
        text: str,
        postal_code: str,
        city: str,
        departement: str,
        insee: str,
        lat: object,
        lon: object,
    ) -> Place | None:
        dep = self.departement_code(departement) if departement else None
        postal = _only_code(postal_code)
        names = [t for t in (text, city) if t]

        # 1. An INSEE code given by the source (France Travail): trust it when the name agrees.
        if insee:
            code = _only_code(insee) or insee.strip().upper()
            place = self.commune(code)
            if place and (not names or any(self._name_agrees(n, place) for n in names)):
                return place
            # The INSEE / postal trap: the "INSEE" field holding a postal code.
            if code and code in self._by_postal and not postal:
                postal = code
            if place and not postal and not names:
                return place
            fallback_insee = place
        else:
            fallback_insee = None

        # 2. Free text and city, with whatever constraints they carry.
        dep_place: Place | None = None
        for name in names:
            place = self._resolve_text(name, postal, dep)
            if place is None:
                continue
            if place.level == "commune":
                return place
            # "46 - Lot" as the label and "Cahors" as the city: the city, in that département.
            dep_place = dep_place or place
            dep = dep or place.departement

        if fallback_insee is not None:
            return fallback_insee
        # 3. A postal code alone (or an INSEE code written in the postal code field).
        if postal:
            place = self._from_postal(postal, dep) or self.commune(postal)
            if place:
                return place
        # 4. Coordinates.
        if lat is not None and lon is not None:
            place = self.nearest(lat, lon)
            if place and (not dep or place.departement == dep):
                return place
        # 5. The département alone.
        if dep_place is not None:
            return dep_place
        if dep:
            return self.departement_place(dep)
        if postal:
            code = departement_of_postal_code(postal)
            if code:
                return self.departement_place(code)
        return None

    def _resolve_text(self, text: str, postal: str | None, dep: str | None) -> Place | None:
        raw = _SUR.sub("sur ", _CEDEX.sub(" ", text.replace("\u00a0", " "))).strip()
        if not raw:
            return None
        raw, dep_in_text = self._strip_departement_codes(raw)
        codes = [c.upper() for c in _FIVE_DIGITS.findall(raw)]
        raw = _FIVE_DIGITS.sub(" ", raw)
        raw = re.sub(r"[()\[\]]", " ", raw)
        postal_in_text = None
        insee_in_text = None
        for code in codes:
            if code in self._by_postal and postal_in_text is None:
                postal_in_text = code
            elif self.commune(code) and insee_in_text is None:
                insee_in_text = code
        postal = postal or postal_in_text
        dep = dep or dep_in_text
        if dep is None and postal:
            dep = departement_of_postal_code(postal)

        keys, area = self._name_keys(raw, has_code=bool(postal or dep))
        only_dep_named = not keys and bool(dep_in_text) and not postal_in_text and not insee_in_text
        place = self._resolve_names(keys, postal, dep, area)
        if place is not None:
            return place
        # Names did not resolve: codes from the text.
        if postal_in_text:
            place = self._from_postal(postal_in_text, dep)
            if place:
                return place
        if insee_in_text:
            return self.commune(insee_in_text)
        if dep_in_text and (only_dep_named or keys):
            return self.departement_place(dep_in_text)
        return None

    def _strip_departement_codes(self, raw: str) -> tuple[str, str | None]:
        """Département codes written in the text ("(46)", "46 - ", " - 46"): the text without them, the code."""
        dep_in_text: str | None = None
        m = _PREFIX_CODE.match(raw)
        if m and self._dep_code(m.group(1)):
            dep_in_text = self._dep_code(m.group(1))
            raw = m.group(2)
        m = _PAREN_CODE.search(raw)
        if m and self._dep_code(m.group(1)):
            dep_in_text = dep_in_text or self._dep_code(m.group(1))
            raw = (raw[: m.start()] + " " + raw[m.end():]).strip()
        m = _SUFFIX_CODE.match(raw)
        if m and self._dep_code(m.group(2)):
            dep_in_text = dep_in_text or self._dep_code(m.group(2))
            raw = m.group(1)
        m = _TRAILING_CODE.match(raw)
        if m and not _ARRONDISSEMENT.match(place_key(raw)) and self._dep_code(m.group(2)):
            dep_in_text = dep_in_text or self._dep_code(m.group(2))
            raw = m.group(1)
        return raw, dep_in_text

    def _name_keys(self, raw: str, *, has_code: bool) -> tuple[list[str], set[str]]:
        """The place names of the text as keys, and the départements of the regions it names (context)."""
        parts = [p for p in (_SPLIT.split(raw)) if p and p.strip(" -–—")]
        keys = []
        area: set[str] = set()
        for part in parts:
            key = place_key(part)
            if key not in self._by_key:  # "Tremblay-en-France" keeps its "France"
                key = re.sub(r"\s+", " ", _NOISE_WORDS.sub(" ", key)).strip()
            if not key or _CODE_ONLY.match(key):
                continue
            region = self._region_deps.get(key)
            if region is not None:
                area |= region  # "Figeac, Occitanie, France": context, not a commune
                if not has_code:
                    continue
            keys.append(key)
        return keys, area

    def _resolve_names(self, keys: list[str], postal: str | None, dep: str | None, area: set[str]) -> Place | None:
        """The commune the names designate, else the first département named, else None."""
        # A name that contains a separator ("Sarroux - Saint Julien"): the whole string first.
        if len(keys) > 1:
            codes = self._by_key.get(" ".join(keys))
            chosen = self._choose(codes, postal, dep, area=area, key=" ".join(keys)) if codes else None
            if chosen:
                return self._place(chosen, postal)
        departement_only: Place | None = None
        for key in keys:
            place = self._resolve_key(key, postal, dep, area)
            if place is None:
                continue
            if place.level == "commune":
                return place
            # "Lot, Cahors": a département named before the commune narrows the search, it is not the answer.
            departement_only = departement_only or place
            dep = dep or place.departement
        return departement_only

    def _resolve_key(self, key: str, postal: str | None, dep: str | None, area: set[str]) -> Place | None:
        arr = _ARRONDISSEMENT.match(key)
        if arr:
            place = self._arrondissement(arr.group(1), int(arr.group(2)))
            if place:
                return place
        # A département name ("Lot", "Lot-et-Garonne", "VAL DE MARNE").
        dep_named = self._dep_by_key.get(key)
        if dep_named and (dep is None or dep == dep_named):
            codes = self._by_key.get(key, [])
            big = [c for c in codes if self.communes[c].population >= 20_000]
            # "Corrèze (19800)": the postal code says it is the commune, not the département.
            has_postal = bool(postal) and any(postal in self.communes[c].postal_codes for c in codes)
            if not has_postal and (
                not big or (dep is not None and all(self.communes[c].departement != dep for c in big))
            ):
                return self.departement_place(dep_named)
        codes = self._by_key.get(key)
        if codes:
            chosen = self._choose(codes, postal, dep, area=area, key=key)
            if chosen:
                return self._place(chosen, postal)
        short = self._short_name(key, postal, dep)
        if short is not None:
            return short
        fuzzy = self._fuzzy(key, postal, dep, area)
        if fuzzy is not None:
            return fuzzy
        # Words inside a longer string: "Secteur Figeac", "Cahors centre", "Laval 53". The longest word
        # sequence that names a commune wins; among equals, the territory, then population.
        words = key.split()
        if len(words) > 1:
            for size in range(min(len(words) - 1, 6), 0, -1):
                found: list[str] = []
                for start in range(0, len(words) - size + 1):
                    sub = " ".join(words[start:start + size])
                    if len(sub) < 3 or sub in ("st", "ste"):
                        continue
                    chosen = self._choose(self._by_key.get(sub, []), postal, dep, area=area, key=sub)
                    if chosen:
                        found.append(chosen)
                if found:
                    territory = self.territory
                    found.sort(key=lambda c: (self.communes[c].departement not in territory,
                                              -self.communes[c].population))
                    return self._place(found[0], postal)
        return None

    def _choose(
        self,
        codes: list[str],
        postal: str | None,
        dep: str | None,
        strict: bool = True,
        area: set[str] | None = None,
        key: str | None = None,
    ) -> str | None:
        """Pick among homonyms: postal code, then département, then region named alongside ("…, Occitanie"),
        then ``_preference`` (territory, current or former name, size), then population."""
        if postal:
            with_postal = [c for c in codes if postal in self.communes[c].postal_codes]
            if with_postal:
                return with_postal[0]
        if dep:
            in_dep = [c for c in codes if self.communes[c].departement == dep]
            if in_dep:
                return in_dep[0]
            if strict and postal is None:
                return None
        if area:
            in_area = [c for c in codes if self.communes[c].departement in area]
            if in_area:
                codes = in_area
        territory = self.territory
        if len(codes) > 1:
            codes = sorted(codes, key=lambda c: self._preference(key, c, territory))
        if postal and strict:
            # A postal code that none of the homonyms has: only the territory or the postal code's département.
            pdep = departement_of_postal_code(postal)
            codes = [c for c in codes if self.communes[c].departement in territory | {pdep}]
        return codes[0] if codes else None

    def _preference(self, key: str | None, insee: str, territory: frozenset[str]) -> tuple[int, int]:
        """Order of homonyms with nothing else to tell them apart (lower first).

        A commune's current name in the territory first; then a current name elsewhere for a town of
        5,000 inhabitants or more ("Meylan" is the town in Isère, not a former commune merged into Sos in
        Lot-et-Garonne); then a former name in the territory ("Saint-Pantaléon", now in Barguelonne-en-
        Quercy, rather than the village of Vaucluse); then other current names, other former names, and
        names found only without their article ("Pin" is Pin in Haute-Saône before Le Pin in
        Tarn-et-Garonne). Population breaks ties.
        """
        commune = self.communes[insee]
        rank = self._key_rank.get((key, insee), 0) if key is not None else 0
        local = commune.departement in territory
        if rank == 0:
            tier = 0 if local else (1 if commune.population >= 5_000 else 3)
        elif rank == 1:
            tier = 2 if local else 4
        else:
            tier = 5 if local else 6
        return tier, -commune.population

    def _fuzzy(self, key: str, postal: str | None, dep: str | None, area: set[str] | None = None) -> Place | None:
        """Typo tolerance: optimal-string-alignment distance (transpositions count 1) among a block of names.

        The block is the département's names when it is known (up to 2 edits for long names), else the
        names sharing the first letter, in the territory first (up to 2 edits) then nationally (1 edit).
        """
        if len(key) < 5:
            return None
        if dep is None and postal:
            dep = departement_of_postal_code(postal)
        long_name = len(key) >= 9
        if dep:
            blocks = [(self._keys_by_dep.get(dep, []), 2 if long_name else 1)]
        else:
            letter = key[:1]
            blocks = [
                (self._territory_keys(letter), 2 if long_name else 1),
                (self._keys_by_letter.get(letter, []), 1),
            ]
        for choices, max_edits in blocks:
            if not choices:
                continue
            found = process.extract(key, choices, scorer=OSA.distance, score_cutoff=max_edits, limit=10)
            if not found:
                continue
            best = min(score for _, score, _ in found)
            codes = [c for k, score, _ in found if score == best for c in self._by_key[k]]
            codes = sorted(dict.fromkeys(codes), key=lambda c: -self.communes[c].population)
            chosen = self._choose(codes, postal, dep, strict=False, area=area)
            if chosen:
                return self._place(chosen, postal)
        return None

    def _short_name(self, key: str, postal: str | None, dep: str | None) -> Place | None:
        """A name written short, as the first words of a longer one: "Brive" → Brive-la-Gaillarde,
        "Montcuq" → Montcuq-en-Quercy-Blanc. Looked for in the département when known, else in the
        territory only (nationally, "Villeneuve" would be a guess)."""
        if len(key) < 4:
            return None
        if dep is None and postal:
            dep = departement_of_postal_code(postal)
        choices = self._keys_by_dep.get(dep, []) if dep else self._territory_keys(key[:1])
        prefix = key + " "
        codes = [c for k in choices if k.startswith(prefix) for c in self._by_key[k]]
        if not codes:
            return None
        if dep:
            codes = [c for c in codes if self.communes[c].departement == dep] or codes
        chosen = max(codes, key=lambda c: self.communes[c].population)
        return self._place(chosen, postal)

    def _territory_keys(self, letter: str) -> list[str]:
        territory = self.territory
        cache_key = (territory, letter)
        keys = self._territory_key_cache.get(cache_key)
        if keys is None:
            keys = [k for dep in sorted(territory) for k in self._keys_by_dep.get(dep, []) if k[:1] == letter]
            self._territory_key_cache[cache_key] = keys
        return keys

    def _arrondissement(self, city: str, number: int) -> Place | None:
        parents = {"paris": ("75056", 20, 75100), "lyon": ("69123", 9, 69380), "marseille": ("13055", 16, 13200)}
        parent, count, base = parents[city]
        if not 1 <= number <= count:
            return None
        insee = str(base + number)
        return self._place(parent, self._arrondissement_postal.get(insee))

    def _from_postal(self, postal: str, dep: str | None) -> Place | None:
        codes = self._by_postal.get(postal)
        if not codes:
            return None
        if dep:
            codes = [c for c in codes if self.communes[c].departement == dep] or codes
        best = max(codes, key=lambda c: self.communes[c].population)
        return self._place(best, postal)

    def _name_agrees(self, name: str, place: Place) -> bool:
        """Whether a free-text place plausibly names ``place`` (used to check a given INSEE code)."""
        resolved = self._resolve_text(name, None, place.departement)
        if resolved is None:
            return True  # nothing to contradict the code
        if resolved.level == "departement":
            return resolved.departement == place.departement
        return resolved.insee == place.insee

    def _place(self, insee: str, postal: str | None = None) -> Place:
        cache_key = (insee, postal)
        place = self._place_cache.get(cache_key)
        if place is None:
            c = self.communes[insee]
            chosen_postal = postal if postal and postal in self._by_postal and (
                postal in c.postal_codes or insee in self._by_postal[postal]
            ) else (c.postal_codes[0] if c.postal_codes else None)
            place = Place(
                insee=c.insee,
                name=c.name,
                postal_code=chosen_postal,
                departement=c.departement,
                epci=c.epci,
                lat=c.lat,
                lon=c.lon,
                level="commune",
            )
            self._place_cache[cache_key] = place
        return place


def _str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value).strip()
    return text[:500]  # a place never needs more; keeps huge inputs cheap


def _only_code(value: str | None) -> str | None:
    """A 5-character code (INSEE or postal) from a field value, or None."""
    if not value:
        return None
    text = value.strip().upper()
    if len(text) == 4 and text.isdigit():
        text = "0" + text  # "1400" written for "01400" by spreadsheets
    if len(text) == 5 and (text.isdigit() or (text[:2] in ("2A", "2B") and text[2:].isdigit())):
        return text
    return None


@built_once
def get_gazetteer() -> Gazetteer:
    """The process-wide gazetteer (built on first use, or loaded prebuilt: ``matching.cache``)."""
    return cached_build("gazetteer", Gazetteer)
