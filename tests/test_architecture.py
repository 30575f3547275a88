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
    for package in ("guardrails", "knowledge", "embedding"):
        mods = imported_modules(package)
        assert not mods & {"rasa", "rasa_sdk", "bot", "sanic", "slack_sdk"}, (package, mods)


def test_guardrails_needs_nothing_heavy():
    # numpy for the judge's head; the embedding comes in through the ``embedding`` layer.
    assert not imported_modules("guardrails") & {"torch", "faiss", "sentence_transformers", "onnxruntime", "knowledge"}


def test_dependencies_point_inward():
    # embedding is the innermost layer; knowledge may use the guardrail's output check (kb
    # validate refuses dose-like answers), never the other way round.
    assert not imported_modules("embedding") & {"guardrails", "knowledge", "bot"}
    assert "knowledge" not in imported_modules("guardrails")


def test_nothing_imports_torch_at_run_time():
    offenders = []
    for package in ("guardrails", "knowledge", "embedding", "bot"):
        for path in (REPO / package).rglob("*.py"):
            if path.name == "export.py" or "training" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}
            if names & {"torch", "sentence_transformers", "transformers"}:
                offenders.append(str(path.relative_to(REPO)))
    assert not offenders


def test_importing_the_core_loads_no_model():
    code = (
        "import sys, guardrails, knowledge, knowledge.retriever, embedding, bot.pipeline, bot.contract;"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'faiss', 'onnxruntime', 'rasa') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == ""
