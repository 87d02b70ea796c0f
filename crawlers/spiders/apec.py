"""APEC (managers' job board) partner export: ``<Export_offres><Offre_emploi>`` (SOURCE-FORMATS.md §3).

``Reference_apec`` is the offer id; ``Date_parution`` is ``dd/mm/YYYY HH:MM:SS`` (French order, passed on
as written); ``Lieu/COG_lieu`` is the commune's INSEE code (Code officiel géographique);
``Contrat/Duree_contrat`` is in months; ``Texte_offre`` is HTML.

    scrapy crawl apec -a url=file:///path/apec.xml -O offers.jsonl
"""

from __future__ import annotations

from typing import ClassVar

from crawlers.feeds import Paths, XmlFeedSpider


class ApecSpider(XmlFeedSpider):
    """APEC XML export."""

    name = "apec"
    platform = "apec"
    item_tags = ("Offre_emploi",)
    fields: ClassVar[dict[str, Paths]] = {
        "source_id": "Reference_apec",
        "url": "URL",
        "title": "Intitule",
        "employer": "Nom_entreprise",
        "naf_code": "Secteur_activite/NAF_secteur",
        "description": "Texte_offre",
        "insee": "Lieu/COG_lieu",
        "city": "Lieu/Libelle_lieu",
        "contract": "Contrat/Type_contrat",
        "contract_duration": "Contrat/Duree_contrat",
        "salary": "Salaire_affiche",
        "experience": "Niveau_experience",
        "published_at": "Date_parution",
        "positions": "Nombre_postes",
    }
    extra_fields: ClassVar[dict[str, Paths]] = {
        "status": "Statut",
        "function_code": "Fonction/JOB_fonction",
        "function": "Fonction/Libelle_fonction",
        "sector": "Secteur_activite/Libelle_secteur",
        "client_reference": "Reference_client",
        "logo": "Logo_entreprise",
        "travel": "Zone_deplacement",
        "oqa": "Oqa",
    }
