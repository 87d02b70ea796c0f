"""E-mails people can answer: written in the name of a staff member or référent, with their Reply-To,
signature and phone, a Date and a Message-ID, and both a plain-text and an HTML part.

``compose`` builds the message on ``services.mail.build_message``; it leaves through ``services.mail.send``
(the commands' settings from the environment, the web app's through ``MailSettings.of_web``).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr

from markupsafe import escape

from services.mail import build_message
from store.models import User

PROGRAMME = "Oh my Lot !"


@dataclass(frozen=True)
class Signer:
    """The person an e-mail comes from: their name, address (Reply-To), role line and phone."""

    name: str
    email: str | None = None
    role: str = "Équipe Oh my Lot !"
    phone: str | None = None

    def lines(self) -> list[str]:
        lines = [self.name, self.role]
        if self.phone:
            lines.append(f"Tél. {self.phone}")
        if self.email:
            lines.append(self.email)
        return lines


ROLE_LINES = {"referent": "Référent accueil — Oh my Lot !", "admin": "Équipe Oh my Lot !",
              "staff": "Équipe Oh my Lot !"}


def signer_of(user: User | None) -> Signer:
    """The signer for an account (the programme's team when there is no account)."""
    if user is None:
        return Signer(name=f"L'équipe {PROGRAMME}")
    return Signer(name=user.full_name or user.email, email=user.email,
                  role=ROLE_LINES.get(user.role, ROLE_LINES["staff"]), phone=user.phone)


def text_to_html(text: str) -> str:
    """A plain-text body as simple HTML paragraphs (escaped)."""
    paragraphs = [p for p in text.strip().split("\n\n") if p.strip()]
    body = "".join(f"<p>{escape(p)}</p>".replace("\n", "<br>\n") for p in paragraphs)
    return f'<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body>{body}</body></html>'


def sender_for(signer: Signer, from_address: str) -> str:
    """``Camille Agent (Oh my Lot !) <ne-pas-repondre@ohmylot.fr>``: the signer's name on the programme's
    sending address (the only one the SMTP server accepts)."""
    _, sending = parseaddr(from_address)
    sending = sending or "ne-pas-repondre@ohmylot.fr"
    user, _, domain = sending.partition("@")
    display = signer.name if signer.email else PROGRAMME
    if signer.email and PROGRAMME not in display:
        display = f"{display} ({PROGRAMME})"
    return str(Address(display_name=display, username=user, domain=domain))


def compose(
    *,
    to: list[str],
    subject: str,
    text: str,
    signer: Signer,
    from_address: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A message from ``signer`` (display name), sent through the programme's address ``from_address``
    (which the SMTP server accepts), answered to the signer's own address."""
    sender = sender_for(signer, from_address)
    domain = parseaddr(sender)[1].partition("@")[2]
    signature = "\n".join(signer.lines())
    signature_html = "<br>\n".join(str(escape(line)) for line in signer.lines())
    html_body = html or text_to_html(text)
    return build_message(
        to,
        subject,
        f"{text.rstrip()}\n\n-- \n{signature}\n",
        html=html_body.replace("</body>", f'<p style="color:#444">{signature_html}</p></body>'),
        sender=sender,
        reply_to=Address(display_name=signer.name, addr_spec=signer.email) if signer.email else None,
        headers=headers,
        msgid_domain=domain or "ohmylot.fr",
    )
