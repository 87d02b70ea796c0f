"""``python -m jobs`` is the ``ohmylot`` command."""

from jobs.cli import main

main()
