"""``ohmylot mail test ADDRESS``: send a test e-mail and show the SMTP conversation."""

from __future__ import annotations

from typing import Annotated

import typer

from jobs.console import err, out
from jobs.errors import UserError

mail = typer.Typer(help="E-mails sortants : vérifier la configuration SMTP.", no_args_is_help=True)


@mail.command("test")
def test(address: Annotated[str, typer.Argument(help="adresse qui reçoit le message de test")]) -> None:
    """Envoie un message de test et affiche le dialogue SMTP (mot de passe masqué)."""
    from services.mail import MailSettings, dialogue  # on use: keeps CLI start-up fast

    if "@" not in address or any(c.isspace() for c in address.strip()):
        raise UserError(f"adresse e-mail invalide : {address!r}")
    settings = MailSettings()
    if not settings.host:
        raise UserError("aucun serveur SMTP configuré (OHMYLOT_SMTP_HOST)")
    mode = "SSL" if settings.ssl else ("STARTTLS" if settings.starttls else "sans chiffrement")
    err.print(f"Serveur {settings.host}:{settings.port} ({mode}), expéditeur {settings.from_}")
    sent, lines = dialogue(address.strip(), settings)
    for line in lines:
        out.print(line, markup=False)
    if not sent:
        raise UserError(f"message de test non envoyé à {address} : voir le dialogue ci-dessus")
    err.print(f"Message de test envoyé à {address}.")


def register(app: typer.Typer) -> None:
    app.add_typer(mail, name="mail")
