"""The employers' network and outreach: membership, offers typed in by members, talent digests, selections.

Used by the web app (``web/routers/network.py``, ``member.py``, ``network_staff.py``) and by ``ohmylot network``.
One module per job; callers import from the module, this package re-exports the public names for the tests,
the benchmarks and older imports (``from services.network import send_digest``).

- ``common``: ``OutreachSettings`` (secret key, public URL), ``NetworkError`` (the French refusal), ``FormCheck``
  and the form-field helpers, signed links (``sign`` / ``unsign``, itsdangerous with ``OHMYLOT_SECRET_KEY`` and
  one salt per purpose), the shared constants.
- ``members``: joining (``check_join_form``, ``submit_join``, ``approve_member``, ``refuse_member``) and the
  members' one-use sign-in links (``login_link``, ``consume_login_token``, ``send_login_link``).
- ``offers``: offers typed in by members (``check_offer_form``, ``submit_member_offer``,
  ``review_member_offer``), their publication (``apply_visibility``) and a member's offers (``member_offers``).
- ``digests``: talent digests (``digest_recipients``, ``digest_profiles``, ``profile_card``, ``send_digest``)
  and "ce profil m'intéresse" (``record_interest``).
- ``selections``: offer selections e-mailed to a prospect (``send_selection``) and unsubscribing
  (``unsubscribe``).
"""

from services.network.common import (
    CONTRACT_CHOICES,
    INTEREST_LINK_DAYS,
    LOGIN_LINK_DAYS,
    MEMBER_PLATFORM,
    MEMBER_TRUST,
    PENDING_REASON,
    FormCheck,
    NetworkError,
    OutreachSettings,
    sign,
    unsign,
)
from services.network.digests import (
    PROFILE_FIELDS,
    PROFILE_LABELS,
    DigestReport,
    check_sector,
    digest_profiles,
    digest_recipients,
    interest_link,
    profile_card,
    record_interest,
    send_digest,
    shareable,
)
from services.network.members import (
    approve_member,
    check_join_form,
    consume_login_token,
    login_link,
    refuse_member,
    sector_choices,
    send_login_link,
    submit_join,
)
from services.network.offers import (
    apply_visibility,
    check_offer_form,
    member_offers,
    member_source_id,
    review_member_offer,
    submit_member_offer,
)
from services.network.selections import selection_text, send_selection, unsubscribe, unsubscribe_link

__all__ = [
    "CONTRACT_CHOICES",
    "INTEREST_LINK_DAYS",
    "LOGIN_LINK_DAYS",
    "MEMBER_PLATFORM",
    "MEMBER_TRUST",
    "PENDING_REASON",
    "PROFILE_FIELDS",
    "PROFILE_LABELS",
    "DigestReport",
    "FormCheck",
    "NetworkError",
    "OutreachSettings",
    "apply_visibility",
    "approve_member",
    "check_join_form",
    "check_offer_form",
    "check_sector",
    "consume_login_token",
    "digest_profiles",
    "digest_recipients",
    "interest_link",
    "login_link",
    "member_offers",
    "member_source_id",
    "profile_card",
    "record_interest",
    "refuse_member",
    "review_member_offer",
    "sector_choices",
    "selection_text",
    "send_digest",
    "send_login_link",
    "send_selection",
    "shareable",
    "sign",
    "submit_join",
    "submit_member_offer",
    "unsign",
    "unsubscribe",
    "unsubscribe_link",
]
