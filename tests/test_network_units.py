"""SIRET and NAF checks, kit upload checks, the join and offer forms' validation, and ``ohmylot network``."""

from __future__ import annotations

import pytest

from tests.network_support import JOIN_FORM, OFFER_FORM, SIRET_LA_POSTE_HQ, SIRET_OK, body

pytest_plugins = ["tests.network_support"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SIRET_OK, SIRET_OK),
        ("732 829 320 00074", SIRET_OK),
        ("732.829.320.00074", SIRET_OK),
        (SIRET_LA_POSTE_HQ, SIRET_LA_POSTE_HQ),  # La Poste head office: passes Luhn
        ("35600000049837", "35600000049837"),  # a La Poste establishment: digit sum 45, fails Luhn
        ("73282932000075", None),  # checksum
        ("35600000049838", None),  # La Poste, digit sum 46
        ("7328293200007", None),  # 13 digits
        ("7328293200007A", None),
        ("", None),
    ],
)
def test_check_siret(text: str, expected: str | None) -> None:
    from matching.employers import check_siret, luhn_ok

    result = check_siret(text)
    assert result.value == expected
    assert (result.error is None) == (expected is not None)
    assert not luhn_ok("35600000049837")


def test_naf_sectors() -> None:
    from matching.employers import naf_divisions, naf_sections, sector_of

    assert len(naf_sections()) == 21
    assert len(naf_divisions()) == 88
    assert naf_sections()["I"] == "Hébergement et restauration"
    assert sector_of("56.10A") == "I"
    assert sector_of("56") == "I"
    assert sector_of("01") == "A"
    assert sector_of("99.99") == "U"
    assert sector_of("00") is None
    assert sector_of(None) is None


def test_join_form_checks() -> None:
    from services.network import check_join_form

    ok = check_join_form(JOIN_FORM)
    assert ok.ok, ok.errors
    assert ok.values["siret"] == SIRET_OK
    assert ok.values["place"].insee == "46128"
    assert ok.values["phone"] == "+33565380000"
    bad = check_join_form(dict(JOIN_FORM, email="jeanne@", phone="12", company="", consent=""))
    assert set(bad.errors) == {"email", "phone", "company", "consent"}


def test_offer_form_checks() -> None:
    from datetime import date

    from services.network import check_offer_form

    assert check_offer_form(OFFER_FORM).ok
    bad = check_offer_form(
        dict(OFFER_FORM, contract="CDX", end="2020-01-01", duration_months="deux", apply=""), today=date(2026, 11, 25)
    )
    assert set(bad.errors) == {"contract", "end", "duration_months", "apply"}


def test_kit_upload_checks(monkeypatch, tmp_path) -> None:
    from services.kit import KitError, check_upload, store_upload

    monkeypatch.setenv("OHMYLOT_DATA_DIR", str(tmp_path))
    assert check_upload("logo.PNG", b"\x89PNG\r\n\x1a\n....")[1] == "image/png"
    for name, data, reason in [
        ("logo.svg", b"<svg/>", "refusé"),
        ("photo.jpg", b"GIF89a", "ne correspond pas"),
        ("vide.pdf", b"", "vide"),
        ("script.exe", b"MZ", "refusé"),
    ]:
        with pytest.raises(KitError, match=reason):
            check_upload(name, data)
    monkeypatch.setenv("OHMYLOT_KIT_MAX_MB", "0.001")
    with pytest.raises(KitError, match="trop lourd"):
        check_upload("gros.pdf", b"%PDF-" + b"x" * 2000)
    monkeypatch.delenv("OHMYLOT_KIT_MAX_MB")
    row = store_upload("Plaquette", '../../etc/"passwd".pdf', b"%PDF-1.4", staff="agent@ohmylot.fr")
    assert row.filename == "passwd.pdf"
    assert (tmp_path / "kit" / row.stored_name).read_bytes() == b"%PDF-1.4"


@pytest.mark.db
def test_network_digest_command(db, database_url, mailbox, monkeypatch) -> None:
    from typer.testing import CliRunner

    from jobs.cli import app
    from services.network import approve_member, check_join_form, submit_join
    from tests.webutil import add_candidate

    monkeypatch.setenv("OHMYLOT_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("OHMYLOT_PUBLIC_URL", "https://emploi.ohmylot.fr")
    with db.session() as session:
        member = submit_join(session, check_join_form(JOIN_FORM))
        approve_member(session, member, "agent@ohmylot.fr")
        add_candidate(session, "Léa", "Martin", email="lea@example.org", desired_jobs="bergère")
    runner = CliRunner()
    dry = runner.invoke(app, ["network", "digest", "--sector", "A", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Ferme des Causses" in dry.output
    assert "rien n'a été envoyé" in dry.output
    assert mailbox == []
    none = runner.invoke(app, ["network", "digest", "--sector", "I"])
    assert none.exit_code == 0
    assert "Rien à envoyer" in none.output
    bad = runner.invoke(app, ["network", "digest", "--sector", "ZZ"])
    assert bad.exit_code != 0
    assert "secteur inconnu" in str(bad.exception)
    sent = runner.invoke(app, ["network", "digest", "--territory", "46"])
    assert sent.exit_code == 0, sent.output
    assert "Envoyé à 1 membre(s)" in sent.output
    [(recipients, message)] = mailbox
    assert recipients == ["jeanne@ferme-causses.fr"]
    assert "https://emploi.ohmylot.fr/reseau/interet/" in body(message)
    assert "Martin" not in body(message)
    again = runner.invoke(app, ["network", "digest", "--territory", "46"])
    assert "Envoyé à 0 membre(s) ; 1 membre(s) avaient déjà reçu ces profils." in again.output
    assert len(mailbox) == 1
    with db.session() as session:
        add_candidate(session, "Marc", "Neuf", email="marc@example.org", desired_jobs="vacher")
    third = runner.invoke(app, ["network", "digest", "--territory", "46"])
    assert "Envoyé à 1 membre(s)" in third.output
    assert "vacher" in body(mailbox[-1][1])
    assert "Profil n°" in body(mailbox[-1][1])
    assert "bergère" not in body(mailbox[-1][1])
    listing = runner.invoke(app, ["network", "members", "--status", "member"])
    assert "Ferme des Causses" in listing.output


def test_quick_benchmark_reports_figures() -> None:
    from bench.network import run

    figures = run(quick=True)
    assert figures["digest_profiles"] == 50
    assert figures["siret_checks_per_s"] > 0
    assert figures["offer_submit_ms_median"] <= figures["offer_submit_ms_max"]
