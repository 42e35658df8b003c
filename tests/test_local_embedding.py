"""The local ONNX embedding, on a tiny model and tokenizer built here: loading, pooling, the index, errors."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from coach.config import load_settings
from coach.errors import ConfigError
from coach.runtime import build_embedding
from vectorstore.index import ExpertIndex
from vectorstore.local_embedding import MODEL_FILE, TOKENIZER_FILE, LocalOnnxEmbedding
from vectorstore.models import ExpertProfile

DIM = 8
WORDS = ["pricing", "discounts", "subscription", "plans", "royalties", "advances", "contracts", "authors"]
WORDS += ["audiobook", "security", "cloud", "incidents", "hiring", "interviews", "budget", "forecast"]
VOCAB = {"[PAD]": 0, "[UNK]": 1, **{word: i + 2 for i, word in enumerate(WORDS)}}
PROFILES = [
    ExpertProfile(id="price", name="Ana Ruiz", title="Pricing Manager", expertise=["pricing", "discounts"]),
    ExpertProfile(id="rights", name="Ben Ode", title="Contracts Lead", expertise=["royalties", "advances"]),
    ExpertProfile(id="sec", name="Cho Min", title="Security Engineer", expertise=["cloud", "security"]),
]


def write_model(directory: Path, *, seed: int = 7, pooled: bool = False) -> Path:
    """A real ONNX graph: token ids -> Gather from a random table, masked by attention_mask -> [b, s, dim]."""
    directory.mkdir(parents=True, exist_ok=True)
    table = np.random.default_rng(seed).normal(size=(len(VOCAB), DIM)).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["tokens"]),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "last_axis"], ["mask_3d"]),
        helper.make_node("Mul", ["tokens", "mask_3d"], ["hidden" if pooled else "last_hidden_state"]),
    ]
    output_shape: list[str | int] = ["batch", "seq", DIM]
    if pooled:  # a model that pools itself: [batch, dim]
        nodes.append(helper.make_node("ReduceSum", ["hidden", "seq_axis"], ["last_hidden_state"], keepdims=0))
        output_shape = ["batch", DIM]
    graph = helper.make_graph(
        nodes,
        "tiny-sentence-encoder",
        inputs=[
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        outputs=[helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, output_shape)],
        initializer=[
            numpy_helper.from_array(table, "table"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "last_axis"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "seq_axis"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, str(directory / MODEL_FILE))
    tokenizer = Tokenizer(models.WordLevel(vocab=VOCAB, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(directory / TOKENIZER_FILE))
    return directory


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_model(tmp_path_factory.mktemp("models") / "tiny-encoder")


def mean_of_rows(model_dir: Path, words: list[str]) -> np.ndarray:
    """What the embedding should be, computed by hand from the saved table."""
    table = numpy_helper.to_array(onnx.load(str(model_dir / MODEL_FILE)).graph.initializer[0])
    mean = table[[VOCAB.get(w, 1) for w in words]].mean(axis=0)
    return mean / np.linalg.norm(mean)


def test_vectors_are_masked_means_of_token_embeddings_with_unit_length(model_dir: Path) -> None:
    embedding = LocalOnnxEmbedding(str(model_dir))
    # Different lengths in one batch: padding must not leak into the shorter text's mean.
    vectors = embedding(["pricing", "Royalties and advances for authors", ""])
    assert [np.asarray(v).shape for v in vectors] == [(DIM,)] * 3
    assert all(np.isclose(np.linalg.norm(v), 1.0, atol=1e-5) for v in vectors)
    assert np.allclose(vectors[0], mean_of_rows(model_dir, ["pricing"]), atol=1e-5)
    expected = mean_of_rows(model_dir, ["royalties", "and", "advances", "for", "authors"])
    assert np.allclose(vectors[1], expected, atol=1e-5)


def test_same_text_gives_the_same_vector_alone_or_in_any_batch(model_dir: Path) -> None:
    embedding = LocalOnnxEmbedding(str(model_dir), batch_size=2)
    alone = embedding(["cloud security incidents"])[0]
    batched = embedding(["budget", "hiring interviews and more words here", "cloud security incidents"])[2]
    again = LocalOnnxEmbedding(str(model_dir))(["cloud security incidents"])[0]
    assert np.allclose(alone, batched, atol=1e-6) and np.array_equal(alone, again)


def test_a_model_that_pools_itself_is_only_normalised(tmp_path: Path) -> None:
    directory = write_model(tmp_path / "pooled", pooled=True)
    vector = LocalOnnxEmbedding(str(directory))(["pricing discounts"])[0]
    assert np.isclose(np.linalg.norm(vector), 1.0, atol=1e-5)
    assert np.allclose(vector, mean_of_rows(directory, ["pricing", "discounts"]), atol=1e-5)


def test_key_names_the_content_so_another_model_gets_another_index(model_dir: Path, tmp_path: Path) -> None:
    first = LocalOnnxEmbedding(str(model_dir))
    copy = Path(shutil.copytree(model_dir, tmp_path / "tiny-encoder"))
    other = write_model(tmp_path / "other" / "tiny-encoder", seed=8)
    assert first.key.startswith("local-") and "tiny-encoder" in first.key
    assert LocalOnnxEmbedding(str(copy)).key == first.key, "same files, same index"
    assert LocalOnnxEmbedding(str(other)).key != first.key, "same folder name, other weights"


def test_index_builds_searches_and_reindexes_when_the_model_changes(model_dir: Path, tmp_path: Path) -> None:
    with ExpertIndex.open(tmp_path / "idx", LocalOnnxEmbedding(str(model_dir))) as index:
        index.upsert(PROFILES)
        assert index.embedding_key.startswith("local-")
        assert index.search("how do royalties and advances work?", k=3)[0].profile.id == "rights"
    other = LocalOnnxEmbedding(str(write_model(tmp_path / "v2" / "tiny-encoder", seed=9)))
    with ExpertIndex.open(tmp_path / "idx", other) as index:
        assert index.count() == len(PROFILES), "switching models re-indexes the same profiles"
        assert index.search("cloud security", k=1)[0].profile.id == "sec"


def test_settings_build_the_local_embedding(model_dir: Path) -> None:
    settings = load_settings(embedding="local", embedding_model_path=model_dir)
    embedding = build_embedding(settings)
    assert isinstance(embedding, LocalOnnxEmbedding) and embedding.directory == model_dir


@dataclass(frozen=True)
class Broken:
    name: str
    remove: tuple[str, ...]
    expected: str


@pytest.mark.parametrize(
    "case",
    [
        Broken("no model", (MODEL_FILE,), f"lacks {MODEL_FILE}"),
        Broken("no tokenizer", (TOKENIZER_FILE,), f"lacks {TOKENIZER_FILE}"),
        Broken("empty dir", (MODEL_FILE, TOKENIZER_FILE), f"lacks {MODEL_FILE} and {TOKENIZER_FILE}"),
    ],
    ids=lambda case: case.name,
)
def test_missing_files_say_which_files_are_expected(model_dir: Path, tmp_path: Path, case: Broken) -> None:
    directory = Path(shutil.copytree(model_dir, tmp_path / "model"))
    for name in case.remove:
        (directory / name).unlink()
    with pytest.raises(ConfigError, match=case.expected) as error:
        LocalOnnxEmbedding(str(directory))
    assert MODEL_FILE in str(error.value) and TOKENIZER_FILE in str(error.value)


@pytest.mark.parametrize(
    ("path", "expected"),
    [(None, "needs COACH_EMBEDDING_MODEL_PATH"), ("/no/such/model", "is not a directory")],
)
def test_a_missing_path_names_the_setting(path: str | None, expected: str) -> None:
    settings = load_settings(embedding="local", embedding_model_path=path)
    with pytest.raises(ConfigError, match=expected) as error:
        build_embedding(settings)
    assert MODEL_FILE in str(error.value)


def test_a_file_that_is_not_onnx_is_a_config_error_on_first_use(model_dir: Path, tmp_path: Path) -> None:
    directory = Path(shutil.copytree(model_dir, tmp_path / "model"))
    (directory / MODEL_FILE).write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="Cannot load the local embedding model"):
        LocalOnnxEmbedding(str(directory))(["pricing"])


def test_a_persisted_config_rebuilds_without_rehashing_or_failing_on_a_moved_model(model_dir: Path) -> None:
    original = LocalOnnxEmbedding(str(model_dir))
    rebuilt = LocalOnnxEmbedding.build_from_config(original.get_config())
    assert rebuilt.key == original.key
    gone = LocalOnnxEmbedding.build_from_config({**original.get_config(), "model_path": "/moved/away"})
    with pytest.raises(ConfigError, match="is not a directory"):
        gone(["pricing"])
