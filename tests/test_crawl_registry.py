"""The source registry (crawlers/sources.toml): placeholders, inactive sources and what they say."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.registry import PLATFORMS, RegistryError, load_registry, resolve_placeholders


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_registry_france_travail_inactive_without_credentials() -> None:
    entries = {entry.id: entry for entry in load_registry(environ={})}
    ft = entries["francetravail-lot"]
    assert ft.platform == "francetravail"
    assert not ft.active
    assert "OHMYLOT_FT_CLIENT_ID" in ft.inactive_reason
    assert "OHMYLOT_FT_CLIENT_SECRET" in ft.inactive_reason
    assert ft.args["departement"] == "46"
    # with credentials it becomes active
    ft2 = next(
        e
        for e in load_registry(environ={"OHMYLOT_FT_CLIENT_ID": "a", "OHMYLOT_FT_CLIENT_SECRET": "b"})
        if e.id == "francetravail-lot"
    )
    assert ft2.active
    assert ft2.inactive_reason is None


def test_shipped_registry_sandbox_sources_follow_the_sandbox_url() -> None:
    off = [e for e in load_registry(environ={}) if e.id.startswith("sandbox-")]
    assert off
    assert all(not e.active and "OHMYLOT_SANDBOX_URL" in e.inactive_reason for e in off)
    on = {e.id: e for e in load_registry(environ={"OHMYLOT_SANDBOX_URL": "http://127.0.0.1:8123/"})}
    site = on["sandbox-sante-lot"]
    assert site.active
    assert site.url == "http://127.0.0.1:8123/sites/sante-lot/offres"
    assert site.url_template == "{sandbox}/sites/sante-lot/offres"
    assert on["sandbox-lot-territoires"].url.endswith("/sites/lot-territoires/sitemap.xml")
    assert on["sandbox-francetravail"].args["token_url"].startswith("http://127.0.0.1:8123/francetravail/")
    assert all(entry.platform in PLATFORMS for entry in on.values())


def test_spider_args_carry_source_url_and_args(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[source]]\nid = "ehpad-gourdon"\nplatform = "jsonld"\nurl = "{env:SITE}/offres"\n'
        'args = { follow = "/offre/" }\nemployer = "EHPAD de Gourdon"\nschedule = "0 4 * * 1"\ntrust = 0.8\n',
    )
    (entry,) = load_registry(path, environ={"SITE": "https://ehpad.example.fr"})
    assert entry.spider_args() == {
        "source": "ehpad-gourdon",
        "url": "https://ehpad.example.fr/offres",
        "follow": "/offre/",
    }
    assert entry.employer == "EHPAD de Gourdon"
    assert entry.trust == 0.8
    assert entry.schedule == "0 4 * * 1"
    (missing,) = load_registry(path, environ={})
    assert not missing.active
    assert missing.url is None
    assert "SITE" in missing.inactive_reason


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[source]]\nid = "Bad Id"\nplatform = "jsonld"\n', "identifiant"),
        ('[[source]]\nid = "a"\nplatform = "myspace"\n', "plateforme inconnue"),
        ('[[source]]\nid = "a"\nplatform = "jsonld"\ntrust = 3\n', "trust"),
        ('[[source]]\nid = "a"\nplatform = "jsonld"\nschedule = "tous les jours"\n', "crontab"),
        ('[[source]]\nid = "a"\nplatform = "jsonld"\ncolour = "red"\n', "clé inconnue"),
        ('[[source]]\nid = "a"\nplatform = "jsonld"\n[[source]]\nid = "a"\nplatform = "apec"\n', "double"),
        ("[[source]\nid=", "invalide"),
    ],
)
def test_bad_registry_entries_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        load_registry(write(tmp_path, text), environ={})


def test_disabled_entry_says_so(tmp_path: Path) -> None:
    (entry,) = load_registry(write(tmp_path, '[[source]]\nid = "a"\nplatform = "apec"\nactive = false\n'), environ={})
    assert not entry.active
    assert "active = false" in entry.inactive_reason


def test_resolve_placeholders_reports_missing() -> None:
    assert resolve_placeholders("{sandbox}/x", {"OHMYLOT_SANDBOX_URL": "http://h:1/"}) == ("http://h:1/x", [])
    assert resolve_placeholders("{env:A}-{env:B}", {"A": "1"}) == ("1-{env:B}", ["B"])
