"""Dependencies point inward, and importing the core is cheap."""

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def imported_modules(package: str) -> set[str]:
    found = set()
    for path in (REPO / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_core_packages_import_neither_rasa_nor_the_adapters():
    for package in ("guardrails", "knowledge"):
        mods = imported_modules(package)
        assert not mods & {"rasa", "rasa_sdk", "bot", "sanic", "slack_sdk"}, (package, mods)


def test_guardrails_needs_nothing_heavy():
    assert not imported_modules("guardrails") & {"torch", "numpy", "faiss", "sentence_transformers", "knowledge"}


def test_importing_the_core_loads_no_model():
    code = (
        "import sys, guardrails, knowledge, knowledge.retriever, bot.pipeline;"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'faiss', 'rasa') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == ""
