"""The embedders retrieval uses: re-exported from ``embedding``, the layer both the guardrail
and the knowledge base stand on (all-MiniLM-L6-v2 on ONNX Runtime, and a deterministic fake)."""

from embedding import DIM, Embedder, HashEmbedder, MiniLMEmbedder

__all__ = ["DIM", "Embedder", "HashEmbedder", "MiniLMEmbedder"]
