"""The services' domain errors share ``services.errors.ServiceError``; the command line prints any of them as
one French line with exit status 1, never a traceback."""

from __future__ import annotations

import pytest

from services.ambassadors import AmbassadorError
from services.directory import DirectoryError
from services.errors import ServiceError
from services.followup import FollowUpError
from services.kit import KitError
from services.mail import MailNotConfigured
from services.network import NetworkError
from services.referents import ReferentError
from services.shortlists import ShortlistError
from services.sources import SourceProbeError
from services.spreadsheet import ImportFileError
from services.welcome import WelcomeError
from tests.prospects_support import run_cli

REFUSALS = [
    AmbassadorError,
    DirectoryError,
    FollowUpError,
    ImportFileError,
    KitError,
    NetworkError,
    ReferentError,
    ShortlistError,
    SourceProbeError,
    WelcomeError,
]


@pytest.mark.parametrize("error", REFUSALS)
def test_domain_errors_are_service_errors_and_still_value_errors(error: type[Exception]) -> None:
    assert issubclass(error, ServiceError)
    assert issubclass(error, ValueError)  # the ``except ValueError`` of older callers still catch them
    assert str(error("refusé")) == "refusé"


def test_missing_mail_server_is_a_service_error_and_still_a_runtime_error() -> None:
    assert issubclass(MailNotConfigured, ServiceError)
    assert issubclass(MailNotConfigured, RuntimeError)


def test_cli_prints_a_service_error_on_one_line(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "flux.xml"
    result = run_cli(capsys, "sources", "probe", str(missing))
    assert result.returncode == 1
    assert result.stderr.strip() == f"Erreur : fichier introuvable : {missing}"
    assert "Traceback" not in result.stderr + result.stdout
