"""A sentence-embedding model loaded from a local directory (ONNX + tokenizer.json); never downloads."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from coach.errors import ConfigError

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
# The inputs an exported sentence-transformers (BERT-like) model may declare; others are not ours to fill.
_TEXT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def model_digest(directory: Path) -> str:
    """A short content hash of the model and tokenizer, so a changed model gets a new index."""
    stamps = tuple((stat.st_size, stat.st_mtime_ns) for stat in _stats(directory))
    return _digest(directory.resolve(), stamps)


def _stats(directory: Path) -> list[os.stat_result]:
    return [(directory / name).stat() for name in (MODEL_FILE, TOKENIZER_FILE)]


@lru_cache(maxsize=8)
def _digest(directory: Path, stamps: tuple[tuple[int, int], ...]) -> str:
    # Keyed on size and mtime too: hashing a 400 MB model takes about a second, once per change.
    digest = hashlib.sha256()
    for name in (MODEL_FILE, TOKENIZER_FILE):
        with (directory / name).open("rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()[:12]


def check_model_dir(model_path: str | Path | None) -> Path:
    """The model directory, or a ConfigError that says which files are expected where."""
    if model_path is None or not str(model_path).strip():
        raise ConfigError(
            "COACH_EMBEDDING=local needs COACH_EMBEDDING_MODEL_PATH: a directory holding an exported "
            f"sentence-embedding model ({MODEL_FILE} and {TOKENIZER_FILE})."
        )
    directory = Path(model_path).expanduser()
    if not directory.is_dir():
        raise ConfigError(
            f"COACH_EMBEDDING_MODEL_PATH={directory} is not a directory; point it at the folder holding "
            f"{MODEL_FILE} and {TOKENIZER_FILE} (the layout of a sentence-transformers ONNX export)."
        )
    missing = [name for name in (MODEL_FILE, TOKENIZER_FILE) if not (directory / name).is_file()]
    if missing:
        raise ConfigError(
            f"{directory} lacks {' and '.join(missing)}; a local embedding model needs {MODEL_FILE} and "
            f"{TOKENIZER_FILE} side by side (e.g. the onnx/ folder of a sentence-transformers export, with "
            f"{TOKENIZER_FILE} copied next to {MODEL_FILE})."
        )
    return directory


@register_embedding_function
class LocalOnnxEmbedding(EmbeddingFunction[Documents]):
    """Mean-pooled, L2-normalised token embeddings of an ONNX model run in-process with onnxruntime."""

    # Fusion weights for all-MiniLM-L6-v2 (docs/retrieval.md): the model's whole-profile neighbours, its
    # best bio sentence among the top candidates, and the bundled static embedding each count as much
    # as BM25 + concepts (equal weights; leave-one-set-out over the sentence weight agrees, see docs).
    dense_weight = 1.0
    static_weight = 1.0
    passage_weight = 1.0

    def __init__(
        self, model_path: str, batch_size: int = 32, max_length: int = 256, digest: str | None = None
    ) -> None:
        """Checks the files and hashes them; a `digest` (from a persisted config) skips both until first use."""
        self.directory = Path(model_path).expanduser() if digest else check_model_dir(model_path)
        self.model_path = str(self.directory)
        self.batch_size = batch_size
        self.max_length = max_length
        self.digest = digest or model_digest(self.directory)
        self._loaded: tuple[Any, Any, list[str]] | None = None
        self._load_lock = threading.Lock()

    def __call__(self, input: Documents) -> Embeddings:
        session, tokenizer, inputs = self._load()
        texts = [text or " " for text in input]
        vectors: list[Any] = []
        for start in range(0, len(texts), self.batch_size):
            encoded = tokenizer.encode_batch(texts[start : start + self.batch_size])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            types = np.array([e.type_ids for e in encoded], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            output = np.asarray(session.run(None, {name: feed[name] for name in inputs})[0], dtype=np.float32)
            vectors.extend(_normalised(_pooled(output, mask)))
        return vectors

    def _load(self) -> tuple[Any, Any, list[str]]:
        with self._load_lock:  # a web app may embed its first queries from several threads at once
            if self._loaded is None:
                self._loaded = _open_model(self.directory, self.max_length)
            return self._loaded

    @staticmethod
    def name() -> str:
        return "coach-local"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "digest": self.digest, "max_length": self.max_length}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LocalOnnxEmbedding:
        # Chroma calls this whenever it reads a collection's config, even one about to be replaced, so it
        # must neither fail on a model that has since moved nor re-hash a large file.
        return LocalOnnxEmbedding(
            model_path=str(config.get("model_path", "")),
            max_length=int(config.get("max_length", 256)),
            digest=str(config.get("digest") or "unknown"),
        )

    @property
    def key(self) -> str:
        # The digest comes first: index collection names are cut at 40 characters.
        folder = re.sub(r"[^a-z0-9]+", "-", self.directory.name.lower()).strip("-")
        return f"local-{self.digest}-{folder}"[:60]


def _open_model(directory: Path, max_length: int) -> tuple[Any, Any, list[str]]:
    check_model_dir(directory)
    try:
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as error:
        raise ConfigError(
            "COACH_EMBEDDING=local needs onnxruntime and tokenizers: pip install 'question-coach[local]'"
        ) from error
    try:
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # unused-input warnings of exported models are noise here
        session = onnxruntime.InferenceSession(
            str(directory / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
    except Exception as error:  # onnxruntime and tokenizers raise their own unrelated types
        raise ConfigError(
            f"Cannot load the local embedding model in {directory}: {error}. Check that {MODEL_FILE} is an "
            f"ONNX export of a sentence-embedding model and {TOKENIZER_FILE} its Hugging Face tokenizer."
        ) from error
    inputs = [node.name for node in session.get_inputs()]
    unknown = [name for name in inputs if name not in _TEXT_INPUTS]
    if "input_ids" not in inputs or unknown:
        raise ConfigError(
            f"{directory / MODEL_FILE} takes inputs {inputs}; expected input_ids and optionally "
            "attention_mask and token_type_ids (a BERT-like sentence-embedding export)."
        )
    truncation = tokenizer.truncation
    if truncation is None or truncation["max_length"] > max_length:
        tokenizer.enable_truncation(max_length=max_length)
    if tokenizer.padding is None:
        pad = "[PAD]" if tokenizer.token_to_id("[PAD]") is not None else "<pad>"
        tokenizer.enable_padding(pad_id=tokenizer.token_to_id(pad) or 0, pad_token=pad)
    return session, tokenizer, inputs


def _pooled(output: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors where the attention mask is 1; a model that pools itself passes through."""
    if output.ndim == 2:
        return output
    if output.ndim != 3:
        raise ConfigError(
            f"The local embedding model returned an output of shape {output.shape}; expected "
            "[batch, tokens, dim] token embeddings or [batch, dim] sentence embeddings."
        )
    weights = mask[:, : output.shape[1], None].astype(np.float32)
    summed = (output * weights).sum(axis=1)
    return summed / np.clip(weights.sum(axis=1), 1e-9, None)


def _normalised(vectors: np.ndarray) -> list[np.ndarray]:
    """Unit vectors; a text without a single token gets one constant unit vector, as cosine needs a length."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    empty = norms[:, 0] < 1e-12
    vectors = np.where(empty[:, None], 1.0, vectors)
    norms = np.where(empty[:, None], np.sqrt(vectors.shape[1]), norms)
    return list((vectors / norms).astype(np.float32))
