"""Settings are documented once, with one name each: every ``OHMYLOT_*`` variable the code reads is in the
settings table of docs/operations.md, and every variable of that table is read somewhere (issue 22)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crawlers", "matching", "store", "services", "jobs", "web")
NAME = re.compile(r"OHMYLOT_[A-Z0-9_]*[A-Z0-9]")


def _literal_reads() -> set[str]:
    """Names given whole as string constants (``os.environ.get("OHMYLOT_X")``, subprocess environments);
    docstrings are not reads."""
    found: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                          if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                          and node.body and isinstance(node.body[0], ast.Expr)
                          and isinstance(node.body[0].value, ast.Constant)}
            for node in ast.walk(tree):
                if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                        and NAME.fullmatch(node.value)):
                    found.add(node.value)
    return found


def _settings_classes() -> set[type[BaseSettings]]:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if ".migrations" in info.name or info.name.endswith("__main__"):
                continue
            importlib.import_module(info.name)
    seen: set[type[BaseSettings]] = set()
    stack = list(BaseSettings.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls not in seen and cls.__module__.split(".")[0] in PACKAGES:
            seen.add(cls)
        stack.extend(cls.__subclasses__())
    return seen


def _settings_reads() -> set[str]:
    found: set[str] = set()
    for cls in _settings_classes():
        prefix = cls.model_config.get("env_prefix", "")
        for name, field in cls.model_fields.items():
            alias = field.validation_alias
            found.add(alias if isinstance(alias, str) else f"{prefix}{name}".upper())
    return {name for name in found if name.startswith("OHMYLOT_")}


def read_in_code() -> set[str]:
    return _literal_reads() | _settings_reads()


def documented() -> set[str]:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    table = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return {match for line in table.splitlines() if line.startswith("|")
            for match in NAME.findall(line.split("|")[1])}


def test_every_setting_read_is_documented() -> None:
    missing = sorted(read_in_code() - documented())
    assert missing == [], f"settings read in the code but missing from docs/operations.md: {missing}"


def test_every_documented_setting_is_read() -> None:
    unread = sorted(documented() - read_in_code())
    assert unread == [], f"settings documented in docs/operations.md but read nowhere: {unread}"


def test_the_environment_file_example_uses_documented_names_only() -> None:
    example = (ROOT / "deploy" / "ohmylot.env.example").read_text(encoding="utf-8")
    names = {line.split("=", 1)[0].lstrip("# ").strip() for line in example.splitlines()
             if "=" in line and NAME.match(line.lstrip("# "))}
    assert names, "no setting in the example"
    assert names - documented() == set()
    assert "OHMYLOT_SMTP_SENDER" not in example
