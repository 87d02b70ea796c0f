"""``ohmylot users`` and ``ohmylot serve``: accounts from the command line, one-line errors."""

from __future__ import annotations

import pytest

from tests.test_cli_basics import run_cli

pytestmark = pytest.mark.db


def test_users_add_reads_the_password_from_stdin(database_url, db) -> None:
    from sqlalchemy import select

    from services.auth import verify_password
    from store.models import User

    result = run_cli("users", "add", "Camille@OhMyLot.fr", "--role", "staff", "--name", "Camille Agent",
                     input="un mot de passe solide\n")
    assert result.returncode == 0, result.stderr
    assert "Mot de passe" not in result.stdout  # given, so not printed
    with db.session() as session:
        user = session.scalar(select(User))
        assert (user.email, user.role, user.full_name) == ("camille@ohmylot.fr", "staff", "Camille Agent")
        assert verify_password(user.password_hash, "un mot de passe solide")


def test_users_add_generates_and_prints_a_password_once(database_url, db) -> None:
    from sqlalchemy import select

    from services.auth import verify_password
    from store.models import User

    result = run_cli("users", "add", "ref@ohmylot.fr", "--role", "referent", "--territory", "200023737,200066439",
                     input="")
    assert result.returncode == 0, result.stderr
    password = result.stdout.split("une seule fois) : ", 1)[1].strip()
    with db.session() as session:
        user = session.scalar(select(User))
        assert user.territory == ["200023737", "200066439"]
        assert verify_password(user.password_hash, password)
    listing = run_cli("users", "list")
    assert "ref@ohmylot.fr" in listing.stdout
    assert password not in listing.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("users", "add", "x@ohmylot.fr", "--role", "chef"), "rôle inconnu"),
        (("users", "add", "x@ohmylot.fr", "--role", "referent"), "territoire"),
        (("users", "add", "x@ohmylot.fr", "--role", "referent", "--territory", "46"), "SIREN"),
        (("users", "add", "pas-une-adresse", "--role", "staff"), "adresse e-mail invalide"),
        (("users", "disable", "personne@ohmylot.fr"), "aucun compte"),
    ],
)
def test_users_bad_input_is_one_line(database_url, args, message) -> None:
    result = run_cli(*args, input="un mot de passe solide\n")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr


def test_serve_refuses_a_default_secret_outside_development(database_url) -> None:
    result = run_cli("serve", "--port", "8765", env={"OHMYLOT_ENV": "production", "OHMYLOT_SECRET_KEY": "changeme"})
    assert result.returncode == 1
    assert result.stderr.startswith("Erreur : démarrage refusé : OHMYLOT_SECRET_KEY")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
