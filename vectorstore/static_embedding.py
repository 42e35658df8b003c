"""The bundled static text embedding: WordLlama's token vectors, read from its wheel, mean-pooled.

WordLlama (MIT licence) ships a 32,000 x 256 token-embedding matrix distilled from Llama-family
models inside the `wordllama` package. A text's vector is the normalised mean of its tokens'
vectors, which costs microseconds and needs no download. `WordLlama.load()` would look for its
tokenizer under another folder name and then try the hub, so the two files are opened here directly.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from coach.errors import ConfigError
from vectorstore.once import once

PACKAGE = "wordllama"
WEIGHTS = "weights/l2_supercat_256.safetensors"
TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
TENSOR = "embedding.weight"
VERSION = "wordllama-l2s256-1"  # part of the index key: a change of weights or pooling re-indexes
DIM = 256
CHUNK = 256  # texts pooled at once: bounds the (tokens x dim) temporary to a few MB
CACHE_SIZE = 20_000  # remembered vectors, about 1 KB each
_DTYPES = {"F16": np.float16, "F32": np.float32}


def read_tensor(path: Path, name: str) -> np.ndarray:
    """One tensor of a .safetensors file (an 8-byte header length, a JSON header, raw little-endian data)."""
    with path.open("rb") as handle:
        size = struct.unpack("<Q", handle.read(8))[0]
        header = json.loads(handle.read(size))
    meta = header.get(name)
    if meta is None or meta.get("dtype") not in _DTYPES:
        raise ConfigError(f"{path} has no {name} tensor of a float type; reinstall the wordllama package")
    start, end = meta["data_offsets"]
    dtype = _DTYPES[meta["dtype"]]
    flat = np.fromfile(path, dtype=np.uint8, count=end - start, offset=8 + size + start)
    return flat.view(dtype).reshape(meta["shape"]).astype(np.float32)


def package_dir() -> Path:
    """The installed wordllama folder, found without importing it (its __init__ pulls in a hub client)."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise ConfigError("The offline embedding needs the wordllama package: pip install question-coach")
    return Path(locations[0])


class StaticEmbedder:
    """Mean-pooled, L2-normalised token vectors; the same text gives the same vector in any process."""

    def __init__(self, matrix: np.ndarray, tokenizer: Any) -> None:
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.dim = int(self.matrix.shape[1])
        self._tokenizer = tokenizer
        self._lock = threading.Lock()  # a tokenizers.Tokenizer is not documented as thread-safe
        self._cache: dict[str, np.ndarray] = {}

    @classmethod
    def from_package(cls) -> StaticEmbedder:
        """Load the weights and tokenizer that the installed `wordllama` wheel carries."""
        try:
            from tokenizers import Tokenizer
        except ImportError as error:
            raise ConfigError("The offline embedding needs tokenizers: pip install question-coach") from error
        root = package_dir()
        weights, tokenizer = root / WEIGHTS, root / TOKENIZER
        missing = [str(p) for p in (weights, tokenizer) if not p.is_file()]
        if missing:
            raise ConfigError(
                f"wordllama is installed without {', '.join(missing)}; reinstall wordllama>=0.4"
            )
        loaded = Tokenizer.from_file(str(tokenizer))
        loaded.no_padding()
        loaded.no_truncation()
        return cls(read_tensor(weights, TENSOR), loaded)

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        with self._lock:
            encoded = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [e.ids for e in encoded]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 (len(texts), dim), unit rows; a text without tokens gets one fixed unit vector.

        Vectors are remembered (up to CACHE_SIZE texts): an import embeds each profile for Chroma and
        again for the in-process ranker, and the second time is then a look-up.
        """
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        todo: list[int] = []
        for i, text in enumerate(texts):
            cached = self._cache.get(text)
            if cached is None:
                todo.append(i)
            else:
                out[i] = cached
        for start in range(0, len(todo), CHUNK):
            rows = todo[start : start + CHUNK]
            vectors = self._embed_chunk([texts[i] for i in rows])
            out[rows] = vectors
            with self._lock:
                if len(self._cache) + len(rows) > CACHE_SIZE:
                    self._cache.clear()
                self._cache.update(zip((texts[i] for i in rows), vectors, strict=True))
        return out

    def _embed_chunk(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        ids = self.token_ids(texts)
        lengths = np.array([len(row) for row in ids], dtype=np.int64)
        flat = np.fromiter((i for row in ids for i in row), dtype=np.int64, count=int(lengths.sum()))
        np.clip(flat, 0, self.matrix.shape[0] - 1, out=flat)
        filled = lengths > 0
        if filled.any():
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))[filled]
            sums = np.add.reduceat(self.matrix[flat], starts, axis=0)
            out[filled] = sums / lengths[filled, None]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        empty = norms[:, 0] == 0  # Chroma's cosine distance is undefined for a zero vector
        out[empty] = 1.0 / np.sqrt(self.dim)
        norms[empty] = 1.0
        return out / norms


_lock = threading.Lock()


@once
def _cached() -> StaticEmbedder:
    return StaticEmbedder.from_package()


def default_static() -> StaticEmbedder:
    """The bundled embedder, loaded once per process (about 16 MB)."""
    with _lock:
        return _cached()
