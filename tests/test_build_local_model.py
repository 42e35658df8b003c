"""tools/build_local_model.py: a BERT encoder written as ONNX from safetensors, checked against numpy."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
from safetensors.numpy import save_file
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from vectorstore.local_embedding import LocalOnnxEmbedding

_spec = importlib.util.spec_from_file_location(
    "build_local_model", Path(__file__).resolve().parents[1] / "tools" / "build_local_model.py"
)
assert _spec is not None and _spec.loader is not None
builder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(builder)

CONFIG = {
    "model_type": "bert",
    "hidden_size": 8,
    "num_attention_heads": 2,
    "num_hidden_layers": 2,
    "intermediate_size": 16,
    "max_position_embeddings": 32,
    "type_vocab_size": 2,
    "vocab_size": 12,
    "layer_norm_eps": 1e-12,
}
WORDS = ["pricing", "royalties", "cloud", "security", "hiring", "budget", "audio", "rights"]
VOCAB = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, **{w: i + 4 for i, w in enumerate(WORDS)}}


def random_bert(seed: int = 3) -> dict[str, np.ndarray]:
    """Weights named as a Hugging Face BertModel names them, small and random."""
    rng = np.random.default_rng(seed)
    h, inner = CONFIG["hidden_size"], CONFIG["intermediate_size"]

    def r(*shape: int) -> np.ndarray:
        return rng.normal(scale=0.5, size=shape).astype(np.float32)

    w = {
        "embeddings.word_embeddings.weight": r(CONFIG["vocab_size"], h),
        "embeddings.position_embeddings.weight": r(CONFIG["max_position_embeddings"], h),
        "embeddings.token_type_embeddings.weight": r(CONFIG["type_vocab_size"], h),
        "embeddings.LayerNorm.weight": 1 + r(h) / 5,
        "embeddings.LayerNorm.bias": r(h) / 5,
    }
    for i in range(CONFIG["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        for name in (
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
        ):
            w[p + name + ".weight"], w[p + name + ".bias"] = r(h, h), r(h)
        w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"] = r(inner, h), r(inner)
        w[p + "output.dense.weight"], w[p + "output.dense.bias"] = r(h, inner), r(h)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + norm + ".weight"], w[p + norm + ".bias"] = 1 + r(h) / 5, r(h) / 5
    return w


def reference(w: dict[str, np.ndarray], ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The BERT forward pass in plain numpy: token embeddings [batch, tokens, hidden]."""
    heads, h = CONFIG["num_attention_heads"], CONFIG["hidden_size"]
    d = h // heads
    erf = np.vectorize(math.erf)

    def ln(x: np.ndarray, name: str) -> np.ndarray:
        mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * w[name + ".weight"] + w[name + ".bias"]

    def lin(x: np.ndarray, name: str) -> np.ndarray:
        return x @ w[name + ".weight"].T + w[name + ".bias"]

    b, t = ids.shape
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:t]
    x = ln(x + w["embeddings.token_type_embeddings.weight"][np.zeros_like(ids)], "embeddings.LayerNorm")
    bias = ((1 - mask) * -10000.0)[:, None, None, :]
    for i in range(CONFIG["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def split(v: np.ndarray) -> np.ndarray:
            return v.reshape(b, t, heads, d).transpose(0, 2, 1, 3)

        q, k, v = (split(lin(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d) + bias
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(b, t, h)
        x = ln(lin(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        inner = lin(x, p + "intermediate.dense")
        x = ln(
            lin(0.5 * inner * (1 + erf(inner / math.sqrt(2))), p + "output.dense") + x, p + "output.LayerNorm"
        )
    return x


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    source = tmp_path_factory.mktemp("source")
    weights = random_bert()
    save_file(weights, str(source / "model.safetensors"))
    (source / "config.json").write_text(json.dumps(CONFIG), encoding="utf-8")
    tokenizer = Tokenizer(models.WordLevel(vocab=VOCAB, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(source / "tokenizer.json"))
    return builder.build(source, tmp_path_factory.mktemp("out") / "tiny-bert"), weights


def test_the_onnx_graph_computes_the_bert_forward_pass(built: tuple[Path, dict[str, np.ndarray]]) -> None:
    out, weights = built
    ids = np.array([[2, 4, 5, 3, 0], [2, 6, 7, 8, 3]], dtype=np.int64)
    mask = (ids != 0).astype(np.int64)
    session = onnxruntime.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[
        0
    ]
    want = reference(weights, ids, mask)
    assert got.shape == (2, 5, CONFIG["hidden_size"])
    assert np.abs(got - want)[mask == 1].max() < 1e-4


def test_the_folder_loads_as_a_local_embedding(built: tuple[Path, dict[str, np.ndarray]]) -> None:
    out, weights = built
    vectors = LocalOnnxEmbedding(str(out))(["pricing royalties", "cloud security hiring"])
    assert all(abs(float(np.linalg.norm(v)) - 1.0) < 1e-5 for v in vectors)
    ids = np.array([[VOCAB["pricing"], VOCAB["royalties"]]])
    pooled = reference(weights, ids, np.ones_like(ids)).mean(axis=1)[0]
    assert np.allclose(vectors[0], pooled / np.linalg.norm(pooled), atol=1e-4)
