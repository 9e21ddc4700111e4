"""The collector must run on the Python 3.6 of old server distributions, with nothing but the
standard library. This machine offers no interpreter older than the project's (see conftest:
the functional tests run under every python3.N in /usr/bin as well), so the source is held to
3.6 here: parsed with the 3.6 grammar, and searched for the 3.7+ names a 3.6 grammar accepts."""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
import tomllib
from pathlib import Path

from tests.collector.fakes import COLLECTOR, run_collector

SOURCE = COLLECTOR.read_text()
TREE = ast.parse(SOURCE)

# Standard-library names added after 3.6 that the 3.6 grammar cannot catch.
NEWER_ATTRIBUTES = {
    "fromisoformat",  # datetime 3.7
    "removeprefix",  # str 3.9
    "removesuffix",  # str 3.9
    "isascii",  # str 3.7
    "time_ns",  # time 3.7
    "monotonic_ns",  # time 3.7
    "is_relative_to",  # pathlib 3.9
    "cached_property",  # functools 3.8
    "reconfigure",  # io 3.7
    "create_server",  # socket 3.8
}
NEWER_MODULES = {"dataclasses", "contextvars", "graphlib", "zoneinfo", "tomllib", "importlib.resources"}
NEWER_KEYWORDS = {"capture_output", "text", "missing_ok", "dirs_exist_ok", "encoding_errors"}
TYPING_36 = {"Any", "Callable", "Dict", "IO", "Iterable", "Iterator", "List", "Optional", "Set", "Tuple", "Union"}


def test_source_parses_with_the_python_3_6_grammar() -> None:
    ast.parse(SOURCE, feature_version=(3, 6))  # walrus, positional-only parameters, match, ...


def test_imports_only_the_standard_library_of_3_6() -> None:
    imported = set()
    for node in ast.walk(TREE):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.module != "__future__", "no __future__ imports: annotations are evaluated on 3.6"
            imported.add(node.module or "")
            if node.module == "typing":
                assert {alias.name for alias in node.names} <= TYPING_36
    assert imported
    assert all(name.split(".")[0] in sys.stdlib_module_names for name in imported), imported
    assert not imported & NEWER_MODULES


def test_uses_no_names_newer_than_3_6() -> None:
    for node in ast.walk(TREE):
        if isinstance(node, ast.Attribute):
            assert node.attr not in NEWER_ATTRIBUTES, (node.attr, node.lineno)
        if isinstance(node, ast.keyword):
            assert node.arg not in NEWER_KEYWORDS, (node.arg, node.lineno)
        # list[str] in an annotation is evaluated at definition time and fails before 3.9
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            assert node.value.id not in {"list", "dict", "tuple", "set", "frozenset", "type"}, node.lineno
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            assert not any(isinstance(side, ast.Constant) and side.value is None for side in (node.left, node.right))


def test_no_f_string_self_documenting_expressions() -> None:
    """f"{x=}" is 3.8; the 3.6 grammar of ast.parse does not look inside f-strings."""
    for token in tokenize.generate_tokens(io.StringIO(SOURCE).readline):
        if token.type == tokenize.STRING and re.match(r"(?i)^[rb]*f", token.string):
            assert not re.search(r"=\s*(![rsa])?(:[^}]*)?}", token.string), token.string


def test_runs_isolated_from_this_virtualenv() -> None:
    result = run_collector("--version", path="/nonexistent")

    assert result.returncode == 0
    assert re.fullmatch(r"reanimator-collect \d+\.\d+\.\d+\n", result.stdout)


def test_pip_install_of_the_project_gives_the_console_script() -> None:
    """pyproject.toml names the module and its folder; the entry point exists."""
    project = tomllib.loads((COLLECTOR.parents[1] / "pyproject.toml").read_text())
    assert project["project"]["scripts"] == {"reanimator-collect": "reanimator_collect:main"}
    setuptools = project["tool"]["setuptools"]
    assert setuptools["py-modules"] == ["reanimator_collect"]
    assert Path(COLLECTOR.parents[1], setuptools["package-dir"][""], "reanimator_collect.py") == COLLECTOR
    assert any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in TREE.body)
