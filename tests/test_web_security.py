"""W1 (nothing scraped executes), W2 (no cross-site state change), W3 (sessions), security headers."""

from __future__ import annotations

import re

import pytest
from lxml import html as lxml_html

from tests.webutil import PASSWORD, add_offer, add_user, csrf_of, login

pytest_plugins = ["tests.webutil"]

pytestmark = pytest.mark.db

# Hostile descriptions as partner sites could serve them (and as a compromised feed would).
PAYLOADS = [
    "<script>alert('xss')</script>Poste de cuisinier",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">Postuler</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">Postuler</a>",
    "<a href=\"&#106;avascript:alert(1)\">encodé</a>",
    "<a href=\"&#x6A;&#x61;&#x76;&#x61;script:alert(1)\">hex</a>",
    "<a href=\"java&#x09;script:alert(1)\">tab</a>",
    "<a href=\" javascript:alert(1)\">espace</a>",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)><circle r=5 /></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<object data=\"data:text/html,<script>alert(1)</script>\"></object>",
    "<p style=\"background:url(javascript:alert(1))\" onclick=\"alert(1)\">cliquez</p>",
    "<body onload=alert(1)>",
    "<div><a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data</a></div>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<form action=\"https://evil.example/\"><input name=x></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"https://evil.example/\">",
    "<details open ontoggle=alert(1)>",
    "<a href=\"vbscript:msgbox(1)\">vb</a>",
    "</textarea><script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
]


def _assert_inert(page_text: str) -> None:
    tree = lxml_html.fromstring(page_text)
    scripts = [s for s in tree.xpath("//script") if s.get("type") != "application/ld+json"]
    assert scripts == [], "a script element came through"
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in {"iframe", "object", "embed", "base", "meta", "form", "svg", "math"} or (
            element.tag == "meta" and element.getparent().tag == "head" and element.get("http-equiv") is None
        ) or (element.tag == "form" and element.get("action", "").startswith("/")) or element.tag == "form" and not element.get("action"), element.tag
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), f"{element.tag} has {name}"
            if name.lower() in {"href", "src", "action", "data", "formaction", "xlink:href"}:
                cleaned = re.sub(r"[\x00-\x20]", "", value).lower()
                assert not cleaned.startswith(("javascript:", "vbscript:", "data:")), f"{element.tag} {name}={value}"
            if name.lower() == "style":
                assert "javascript" not in value.lower()


def _store_payload(session, payload: str, index: int):
    """Store the payload the way the crawl would: normalised when the normaliser is there, raw otherwise."""
    fields = {"description_html": payload, "description_text": payload, "title": f"Offre {index} {payload[:40]}"}
    try:
        from matching.normalize import normalize_posting
        from matching.sanitize import sanitize_html  # noqa: F401
        from matching.types import RawPosting
    except ImportError:
        pass
    else:
        normalized = normalize_posting(RawPosting(source="cdg46", source_id=f"p{index}", title=fields["title"],
                                                  description=payload, location="Cahors"))
        data = normalized.as_json() if hasattr(normalized, "as_json") else {}
        assert "<script" not in (data.get("description_html") or "").lower()
    # Stored raw on purpose as well: the page must stay inert even when a crawler forgot to sanitise.
    return add_offer(session, ref=f"payload-{index}", url="javascript:alert(1)", apply_url="javascript:alert(1)",
                     **fields)


def test_hostile_descriptions_never_execute_on_any_page(client, db) -> None:
    add_user(db)
    with db.session() as session:
        ids = [_store_payload(session, payload, i).id for i, payload in enumerate(PAYLOADS)]
    login(client)
    for offer_id in ids:
        for path in (f"/offres/{offer_id}", f"/equipe/offres/{offer_id}"):
            page = client.get(path)
            assert page.status_code == 200, path
            _assert_inert(page.text)
    _assert_inert(client.get("/offres").text)
    _assert_inert(client.get("/equipe/offres", params={"q": "Offre"}).text)


def test_security_headers(client, db) -> None:
    add_user(db)
    public = client.get("/offres")
    csp = public.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "object-src 'none'" in csp
    assert public.headers["strict-transport-security"].startswith("max-age=")
    assert public.headers["x-content-type-options"] == "nosniff"
    login(client)
    staff = client.get("/equipe/offres")
    assert staff.headers["referrer-policy"] == "same-origin"
    assert staff.headers["cache-control"] == "no-store"


def test_cross_site_post_is_refused(client, db) -> None:
    add_user(db)
    login(client)
    token = csrf_of(client)
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"},
                    {"Sec-Fetch-Site": "same-site"},
                    {"Sec-Fetch-Site": "cross-site", "Origin": "https://testserver"}):
        response = client.post("/logout", data={"csrf_token": token}, headers=headers)
        assert response.status_code == 403, headers
    # The session is still alive: nothing happened.
    assert client.get("/equipe/offres").status_code == 200
    # A same-origin post without the form token is refused too.
    assert client.post("/logout", data={}, headers={"Origin": "https://testserver"}).status_code == 403
    assert client.post("/logout", data={"csrf_token": token}, headers={"Origin": "https://testserver"}).status_code == 303


def test_login_from_another_site_is_refused(client, db) -> None:
    add_user(db)
    response = client.post("/login", data={"email": "agent@ohmylot.fr", "password": PASSWORD},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


def test_session_cookie_attributes_and_rotation(client, db) -> None:
    add_user(db)
    first = login(client)
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("__Host-ohmylot_session=")
    for attribute in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"):
        assert attribute.lower() in cookie.lower(), attribute
    assert "domain=" not in cookie.lower()
    token1 = client.cookies.get("__Host-ohmylot_session")
    login(client)
    token2 = client.cookies.get("__Host-ohmylot_session")
    assert token1 != token2  # rotated at login


def test_logged_out_cookie_cannot_be_replayed(client, db, app) -> None:
    from fastapi.testclient import TestClient

    add_user(db)
    login(client)
    token = client.cookies.get("__Host-ohmylot_session")
    assert client.get("/equipe/offres").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as other:
        other.cookies.set("__Host-ohmylot_session", token)
        page = other.get("/equipe/offres")
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login")
        assert other.get("/api/prospects").status_code == 401


def test_disabling_an_account_kills_its_sessions(client, db) -> None:
    from services.auth import disable_user
    from store.models import User

    user_id = add_user(db)
    login(client)
    with db.session() as session:
        disable_user(session, session.get(User, user_id))
    assert client.get("/equipe/offres").status_code == 303
    response = client.post("/login", data={"email": "agent@ohmylot.fr", "password": PASSWORD})
    assert response.status_code == 401


def test_login_is_throttled(client, db) -> None:
    add_user(db)
    for _ in range(5):
        assert client.post("/login", data={"email": "agent@ohmylot.fr", "password": "wrong"}).status_code == 401
    # Even the right password waits for the window to pass.
    throttled = client.post("/login", data={"email": "agent@ohmylot.fr", "password": PASSWORD})
    assert throttled.status_code == 429
    assert "Trop de tentatives" in throttled.text


def test_open_redirect_after_login_is_refused(client, db) -> None:
    add_user(db)
    response = client.post("/login", data={"email": "agent@ohmylot.fr", "password": PASSWORD,
                                           "next": "//evil.example/"})
    assert response.headers["location"] == "/equipe/offres"


def test_no_default_account_exists(db) -> None:
    from sqlalchemy import func, select

    from store.models import User

    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_passwords_are_argon2_hashed(db) -> None:
    from store.models import User

    user_id = add_user(db)
    with db.session() as session:
        stored = session.get(User, user_id).password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_hostile_descriptions_through_normalise_store_dedupe_and_pages(client, db) -> None:
    """W1 along the real path: RawPosting → normalize_posting → Posting → dedupe_database → pages."""
    from sqlalchemy import select

    from matching.normalize import normalize_posting
    from matching.types import RawPosting
    from store.dedup import dedupe_database
    from store.models import Offer, Posting
    from tests.webutil import add_source

    add_user(db)
    with db.session() as session:
        add_source(session, "cdg46")
        for i, payload in enumerate(PAYLOADS):
            raw = RawPosting(source="cdg46", source_id=f"h{i}", url=f"https://cdg46.example.fr/o/h{i}",
                             title=f"Agent {i} {payload[:30]}", description=payload, location="Cahors (46000)",
                             employer="Mairie de Cahors", apply_url="javascript:alert(1)")
            data = normalize_posting(raw).as_json()
            place = data["location"] or {}
            session.add(Posting(
                source_id="cdg46", source_ref=data["source_id"], url=data["url"], title=data["title"],
                title_clean=data["title_clean"], employer_name=data["employer"],
                description_html=data["description_html"], description_text=data["description"],
                commune_insee=place.get("insee"), commune_name=place.get("name"),
                postal_code=place.get("postal_code"), departement=place.get("departement"), epci=place.get("epci"),
                lat=place.get("lat"), lon=place.get("lon"), apply_url=data["apply_url"], flags=data["flags"],
            ))
        session.flush()
        dedupe_database(session, full=True)
    with db.session() as session:
        offer_ids = list(session.scalars(select(Offer.id)))
    assert offer_ids
    login(client)
    for offer_id in offer_ids:
        for path in (f"/offres/{offer_id}", f"/equipe/offres/{offer_id}"):
            page = client.get(path)
            assert page.status_code == 200, path
            _assert_inert(page.text)
    # RSS readers treat <description> as HTML: it holds escaped text, so a payload stays text there too.
    from xml.etree import ElementTree as ET

    for description in ET.fromstring(client.get("/offres/rss.xml").content).iter("description"):
        assert "<" not in (description.text or ""), description.text
    _assert_inert(client.get("/offres", params={"q": "Agent"}).text)


def test_password_hashes_use_owasp_argon2id_and_old_hashes_are_upgraded_at_sign_in(db) -> None:
    from argon2 import PasswordHasher, extract_parameters

    from services.auth import authenticate
    from store.models import User

    user_id = add_user(db)
    with db.session() as session:
        user = session.get(User, user_id)
        # OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane (a lighter hash would fail here).
        fresh = extract_parameters(user.password_hash)
        assert fresh.type.name == "ID"
        assert fresh.memory_cost >= 19 * 1024
        assert fresh.time_cost >= 2
        # A hash made with argon2-cffi's defaults (the parameters before) still signs in, then is re-hashed.
        user.password_hash = PasswordHasher().hash(PASSWORD)
        email = user.email
        session.commit()
    with db.session() as session:
        assert authenticate(session, email, PASSWORD, ip="203.0.113.9", max_failures=5) is not None
        session.commit()
    with db.session() as session:
        upgraded = extract_parameters(session.get(User, user_id).password_hash)
    assert (upgraded.memory_cost, upgraded.time_cost, upgraded.parallelism) == (
        fresh.memory_cost, fresh.time_cost, fresh.parallelism)
    assert (upgraded.memory_cost, upgraded.parallelism) != (65536, 4)
