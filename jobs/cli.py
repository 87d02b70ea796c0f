"""The ``ohmylot`` command line.

Each area registers its commands from its own module (``jobs/cmd_*.py``) through ``register(app)``;
heavy libraries are imported inside the commands so that ``--help`` stays fast. Errors that the user can
fix are ``UserError``s and the services' ``ServiceError``s: ``main()`` prints them on one line and exits
non-zero, never with a traceback (RELIABILITY.md I3).
"""

from __future__ import annotations

import importlib
import sys

import typer

from jobs.errors import UserError
from services.errors import ServiceError


def _new_app() -> typer.Typer:
    return typer.Typer(
        name="ohmylot",
        help="ohmylot : collecte, dédoublonnage et rapprochement des offres d'emploi du Lot (Oh my Lot !).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


# One module per area; each defines ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = [
    "jobs.cmd_db",
    "jobs.cmd_demo",
    "jobs.cmd_crawl",
    "jobs.cmd_crawl_server",
    "jobs.cmd_probe",
    "jobs.cmd_quality",
    "jobs.cmd_geo",
    "jobs.cmd_rome",
    "jobs.cmd_dedupe",
    "jobs.cmd_match",
    "jobs.cmd_candidates",
    "jobs.cmd_report",
    "jobs.cmd_privacy",
    "jobs.cmd_web",
    "jobs.cmd_scheduler",
    "jobs.cmd_workers",
    "jobs.cmd_network",
    "jobs.cmd_accueil",
    "jobs.cmd_mail",
    "jobs.cmd_quality_report",
]

# Commands run often that need few modules: ``ohmylot crawl SOURCE`` loads only its own module (every other
# jobs/cmd_*.py costs about 0.6 s of CPU more), which counts in the time from a command to stored offers.
LEAN_COMMANDS = {"crawl": "jobs.cmd_crawl", "crawl-server": "jobs.cmd_crawl_server"}
_full_app: typer.Typer | None = None


def full_app() -> typer.Typer:
    """The command line with every command (``jobs.cli.app``)."""
    global _full_app
    if _full_app is None:
        built = _new_app()
        for name in COMMAND_MODULES:
            importlib.import_module(name).register(built)
        _full_app = built
    return _full_app


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        return full_app()
    raise AttributeError(name)


def _app_for(argv: list[str] | None) -> typer.Typer:
    """The lean command line of a ``LEAN_COMMANDS`` command, else the full one."""
    args = sys.argv[1:] if argv is None else argv
    module = LEAN_COMMANDS.get(args[0]) if args else None
    if module is None:
        return full_app()
    lean = _new_app()
    lean.callback()(lambda: None)  # keeps the command a subcommand even when it is the only one
    importlib.import_module(module).register(lean)
    return lean


def _classes(name: str) -> tuple[type[BaseException], ...]:
    """Click's exception classes by name, from Click and from the copy recent Typer versions vendor."""
    found: list[type[BaseException]] = []
    for module in ("click.exceptions", "typer._click.exceptions", "typer.exceptions", "click"):
        try:
            cls = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if isinstance(cls, type) and cls not in found:
            found.append(cls)
    return tuple(found)


_NO_ARGS = _classes("NoArgsIsHelpError")
_USAGE = _classes("UsageError")
_ABORT = _classes("Abort")
_EXIT = _classes("Exit")
_CLICK = _classes("ClickException")


def _fail(message: str, code: int) -> None:
    sys.stderr.write(f"Erreur : {message}\n")
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command, turning every user error into one line and a non-zero exit."""
    try:
        result = _app_for(argv)(args=argv, standalone_mode=False)
    except _NO_ARGS as exc:
        # Click raises this with the help text as its message when a group is called without a command.
        sys.stdout.write(exc.format_message() + "\n")  # type: ignore[attr-defined]
        raise SystemExit(0) from None
    except _USAGE as exc:
        _fail(exc.format_message().splitlines()[0] + " (voir --help)", 2)  # type: ignore[attr-defined]
    except _ABORT:
        _fail("interrompu", 130)
    except _EXIT as exc:
        raise SystemExit(getattr(exc, "exit_code", 0)) from None
    except _CLICK as exc:
        _fail(exc.format_message().splitlines()[0], getattr(exc, "exit_code", 1) or 1)  # type: ignore[attr-defined]
    except UserError as exc:
        _fail(str(exc), exc.exit_code)
    except ServiceError as exc:  # a refused use case: its French message, like a UserError
        _fail(str(exc), 1)
    except KeyboardInterrupt:
        _fail("interrompu", 130)
    except BrokenPipeError:
        raise SystemExit(0) from None
    raise SystemExit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
