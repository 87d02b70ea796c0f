"""The communication kit: files staff upload (logos, presentation, photos) that members download.

Files live in ``<data dir>/kit/`` (``OHMYLOT_DATA_DIR``) under a random name; the database keeps the title,
the original name, the type, the size and a SHA-256. An upload is refused when it is larger than
``OHMYLOT_KIT_MAX_MB`` (default 20) or when its *content* is not one of the accepted types (the first bytes
are checked, never the name or the browser's claim): PDF, PNG, JPEG, WebP, and the ZIP-based office
formats (PPTX, DOCX, XLSX, ODP, ODT) or a plain ZIP. SVG is refused (it can carry scripts).
Every download is an audit row (``network.kit_download``), which is how staff see who downloaded what.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from services.errors import ServiceError
from store.models import KitFile
from store.settings import StoreSettings

EXTENSIONS = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".webp": ("image/webp", (b"RIFF",)),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".odp": ("application/vnd.oasis.opendocument.presentation", (b"PK\x03\x04",)),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".zip": ("application/zip", (b"PK\x03\x04",)),
}


class KitError(ServiceError, ValueError):
    """An upload refused, with a French reason."""


def max_bytes() -> int:
    try:
        return int(float(os.environ.get("OHMYLOT_KIT_MAX_MB", "20")) * 1024 * 1024)
    except ValueError:
        return 20 * 1024 * 1024


def kit_dir() -> Path:
    folder = StoreSettings().resolved_data_dir() / "kit"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_upload(filename: str, data: bytes) -> tuple[str, str]:
    """(extension, mime) of an acceptable upload, or ``KitError``."""
    name = Path(filename or "").name
    extension = Path(name).suffix.lower()
    if extension not in EXTENSIONS:
        accepted = ", ".join(sorted(e.lstrip(".").upper() for e in EXTENSIONS))
        raise KitError(f"Type de fichier refusé ({extension or 'sans extension'}) : formats acceptés {accepted}.")
    if not data:
        raise KitError("Le fichier est vide.")
    if len(data) > max_bytes():
        raise KitError(f"Fichier trop lourd : {len(data) / 1048576:.1f} Mo pour {max_bytes() // 1048576} Mo au plus.")
    mime, magics = EXTENSIONS[extension]
    if not data.startswith(magics) or (extension == ".webp" and data[8:12] != b"WEBP"):
        raise KitError(f"Le contenu du fichier ne correspond pas à son extension {extension}.")
    return extension, mime


def store_upload(title: str, filename: str, data: bytes, *, staff: str) -> KitFile:
    """Check and write an upload; returns the (unsaved) ``KitFile`` row."""
    extension, mime = check_upload(filename, data)
    stored = f"{secrets.token_hex(16)}{extension}"
    path = kit_dir() / stored
    path.write_bytes(data)
    clean_name = "".join(c for c in Path(filename).name if c.isprintable() and c not in '"\\/')[:200] or stored
    return KitFile(
        title=(title.strip() or clean_name)[:300],
        filename=clean_name,
        stored_name=stored,
        mime=mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=staff,
    )


def file_path(kit_file: KitFile) -> Path:
    return kit_dir() / Path(kit_file.stored_name).name
