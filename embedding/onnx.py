"""all-MiniLM-L6-v2 on ONNX Runtime: tokenizers for the text, one session for the encoder.

The exported graph includes mean pooling and L2 normalisation, so ``session.run`` returns the
sentence embedding that sentence-transformers would (checked at export: max abs difference
below 1e-5). Nothing loads at import; ``warm_up()`` loads the session and runs it once.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .base import DIM, EmbedderError

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "build" / "onnx"
MAX_TOKENS = 256  # the model's max_seq_length in sentence-transformers
VARIANTS = ("fp32", "int8")
DEFAULT_VARIANT = "fp32"


def machine_threads() -> int:
    """Threads for one embedding process: half the cores this process may use (its CPU
    affinity), at least one. The assistant runs two or more embedding processes (each Rasa
    replica, the action server); on this 2-core machine two threads each measured slower than
    one (retrieval p95 26.5 ms vs 18.4 ms, BENCHMARKS.md), as the processes spin against each
    other."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // 2)


class MiniLMEmbedder:
    """The exported all-MiniLM-L6-v2, run by onnxruntime on the CPU."""

    dim = DIM

    def __init__(
        self,
        model_dir: Path = DEFAULT_MODEL_DIR,
        *,
        variant: str = DEFAULT_VARIANT,
        threads: int | None = None,
        cache_size: int = 1024,
    ) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        if cache_size < 0:
            raise ValueError(f"cache_size must be >= 0, got {cache_size}")
        self.model_dir = Path(model_dir)
        self.variant = variant
        self.name = f"all-MiniLM-L6-v2/onnx-{variant}"
        self.threads = threads or machine_threads()
        self._cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    @property
    def model_file(self) -> Path:
        return self.model_dir / f"model-{self.variant}.onnx"

    def warm_up(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            meta_file = self.model_dir / "meta.json"
            if not self.model_file.exists() or not meta_file.exists():
                raise EmbedderError(
                    f"no exported model in {self.model_dir}; run 'make setup' (python -m embedding.export)"
                )
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            if meta.get("dim") != DIM:
                raise EmbedderError(f"{meta_file}: expected dim {DIM}, got {meta.get('dim')}")
            tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3
            # Idle threads sleep instead of spinning: several processes share the cores.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(str(self.model_file), options, providers=["CPUExecutionProvider"])
            self._tokenizer = tokenizer
            self._session = session
        self._run(["warm up"])

    def _run(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer.encode_batch(texts)  # type: ignore[union-attr]
        ids = np.asarray([e.ids for e in encoded], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encoded], dtype=np.int64)
        (vectors,) = self._session.run(["embedding"], {"input_ids": ids, "attention_mask": mask})  # type: ignore[union-attr]
        return np.asarray(vectors, dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), np.float32)
        self.warm_up()
        with self._lock:
            cached = {t: self._cache[t] for t in dict.fromkeys(texts) if t in self._cache}
        # Similar lengths batched together: padding to the longest text in a batch is the cost.
        missing = sorted((t for t in dict.fromkeys(texts) if t not in cached), key=len)
        fresh: dict[str, np.ndarray] = {}
        # Batches of similar length (padding to the longest text in a batch is the cost): a
        # long message's whole text is not embedded together with its short windows.
        batch: list[str] = []
        for text in missing:
            if batch and (len(batch) == 64 or len(text) > 2 * len(batch[0]) + 40):
                fresh.update(zip(batch, self._run(batch)))
                batch = []
            batch.append(text)
        if batch:
            fresh.update(zip(batch, self._run(batch)))
        if self._cache_size and fresh:
            with self._lock:
                for text, vec in fresh.items():
                    self._cache[text] = vec
                    self._cache.move_to_end(text)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return np.stack([cached[t] if t in cached else fresh[t] for t in texts])
