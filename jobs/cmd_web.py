"""``ohmylot serve`` (the web app) and ``ohmylot users`` (staff accounts)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy import func, select

from jobs.console import err, open_db, out, require
from jobs.errors import UserError
from store.logs import logging_config
from store.models import User

# The store, the services, the engine and the crawlers are imported inside the commands: `ohmylot` loads every
# jobs/cmd_*.py module at start (jobs/cli.py), and importing them here would add seconds to every command.


def _read_password(generate: bool) -> tuple[str, bool]:
    """The password from standard input (first line), or a generated one when stdin is a terminal/empty."""
    if not generate and not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if line:
            return line, False
    from services.auth import generate_password  # on use: keeps CLI start-up fast

    return generate_password(), True


users = typer.Typer(help="Comptes de l'équipe, des référents et des employeurs.", no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option(help="adresse d'écoute")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port d'écoute", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="processus serveurs", min=1, max=32)] = 1,
) -> None:
    """Lance l'application web (équipe, employeurs, site public « Le Lot recrute »)."""
    import uvicorn  # on use: keeps CLI start-up fast


    require(serving=True)  # data directory, database at its migration, secret key
    open_db()  # migrate once before the workers start
    err.print(f"Application web sur http://{host}:{port} (Ctrl+C pour arrêter)")
    # Forwarded headers are applied by the app itself, from OHMYLOT_TRUSTED_PROXIES only; the access log
    # is the app's own JSON line per request (store.logs), with its request id.
    uvicorn.run(
        "web.app:create_app", factory=True, host=host, port=port, workers=workers,
        proxy_headers=False, log_config=logging_config("web"), log_level=None, access_log=False,
    )


@users.command("add")
def add(
    email: Annotated[str, typer.Argument(help="adresse e-mail (identifiant de connexion)")],
    role: Annotated[str, typer.Option(help="admin, staff, referent ou employer")] = "staff",
    territory: Annotated[
        str, typer.Option(help="référent : SIREN des EPCI de son territoire, séparés par des virgules")
    ] = "",
    name: Annotated[str, typer.Option(help="nom affiché (et signataire des listes approuvées)")] = "",
    employer_id: Annotated[int | None, typer.Option(help="employeur : identifiant de l'employeur")] = None,
    phone: Annotated[str, typer.Option(help="téléphone, dans la signature des e-mails envoyés en son nom")] = "",
    generate: Annotated[bool, typer.Option(help="générer le mot de passe (ignorer l'entrée standard)")] = False,
) -> None:
    """Crée un compte. Le mot de passe est lu sur l'entrée standard, ou généré et affiché une seule fois."""
    from services.auth import create_user  # on use: keeps CLI start-up fast

    password, generated = _read_password(generate)
    codes = [code.strip() for code in territory.split(",") if code.strip()]
    bad = [code for code in codes if not (code.isdigit() and len(code) == 9)]
    if bad:
        raise UserError(f"SIREN d'EPCI invalide : {', '.join(bad)} (9 chiffres attendus)")
    db = open_db(quiet=True)
    try:
        with db.session() as session:
            create_user(session, email, role=role, password=password, full_name=name or None,
                        territory=codes, employer_id=employer_id, phone=phone.strip() or None)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    out.print(f"Compte créé : {email.strip().lower()} ({role})")
    if generated:
        out.print(f"Mot de passe (affiché une seule fois) : {password}")


@users.command("list")
def list_users() -> None:
    """Liste les comptes (sans les mots de passe)."""
    db = open_db(quiet=True)
    with db.session() as session:
        for user in session.scalars(select(User).order_by(User.email)):
            state = "actif" if user.active else "désactivé"
            territory = f" territoire={','.join(user.territory)}" if user.territory else ""
            out.print(f"{user.email}\t{user.role}\t{state}\t{user.full_name or ''}{territory}")


@users.command("disable")
def disable(email: Annotated[str, typer.Argument(help="adresse du compte")]) -> None:
    """Désactive un compte et ferme toutes ses sessions."""
    from services.auth import disable_user  # on use: keeps CLI start-up fast

    db = open_db(quiet=True)
    with db.session() as session:
        user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
        if user is None:
            raise UserError(f"aucun compte pour {email}")
        disable_user(session, user)
    out.print(f"Compte désactivé, sessions fermées : {email}")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(users, name="users")
