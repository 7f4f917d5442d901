"""The fused MiniLM graph: the shipped int8 export rebuilt with onnxruntime's fused kernels, cached, verified.

The shipped ONNX file is a PyTorch (dynamo) export whose attention onnxruntime cannot fuse: every layer
materialises (batch, 12, seq, seq) score tensors and runs Where/IsNaN/Add passes over them, and big padded batches
thrash the cache. `fused_session` therefore rebuilds the same network as a fused graph (onnxruntime's `Attention`,
`SkipLayerNormalization` and `BiasGelu` kernels, mean pooling and L2 normalisation inside the graph), checks it
against the plain model, and caches it in `cache_dir` keyed by the source file's sha256. The weights are the
file's own int8 weights dequantised exactly as the plain model does it, so vectors match the plain path (cosine
> 0.99999). `python -m bench.embed` measures it against the plain graph on the same micro-batches.

Inputs are `input_ids` and `attention_mask` (int32, right-padded); the output `sentence_embedding` is the
L2-normalised mean-pooled vector.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

log = logging.getLogger(__name__)

OUTPUT = "sentence_embedding"
MIN_COSINE = 0.9999  # the smallest cosine to the plain model's vectors a fused graph must reach to be used
# Bump when the fused graph changes, so stale cached files are not reused.
_VERSION = 1
_HEADS = 12  # all-MiniLM-L6-v2 (not recorded in the weights)


def _source_weights(data: bytes) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(float weights by PyTorch name, raw int8 word embeddings and scales) from the shipped int8 export.

    Weights are stored as `X_q` (int8) and `X_scale`; the graph computes `X = float(X_q) * X_scale`. MatMul
    weights have generated names; they are named here by the `.bias` their output is added to.
    """
    graph = onnx.load_from_string(data).graph
    tensors = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    word = "inner.embeddings.word_embeddings.weight"  # stays int8 (see build_fused)
    dequant = {
        name[:-2]: q.astype(np.float32) * tensors[name[:-2] + "_scale"]
        for name, q in tensors.items()
        if name.endswith("_q") and name[:-2] + "_scale" in tensors and name[:-2] != word
    }
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for i in node.input:
            consumers.setdefault(i, []).append(node)
    weights = {k: v for k, v in tensors.items() if k.startswith("inner.") and v.dtype == np.float32}
    weights.update({k: v for k, v in dequant.items() if k.startswith("inner.")})
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in dequant:
            (add,) = consumers[node.output[0]]
            bias = next(i for i in add.input if i != node.output[0])
            if add.op_type != "Add" or not bias.endswith(".bias"):
                raise ValueError(f"unexpected pattern after MatMul {node.input[1]}")
            weights[bias[: -len(".bias")] + ".weight"] = dequant[node.input[1]]
    raw = {"word_q": tensors[word + "_q"], "word_scale": tensors[word + "_scale"].astype(np.float32)}
    return weights, raw


class _GraphBuilder:
    """Collects nodes and initializers of the fused graph."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def const(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(
        self, op: str, inputs: Sequence[str], outputs: Sequence[str], domain: str = "", **attrs: int | float
    ) -> str:
        node = helper.make_node(op, inputs, outputs, name=f"{op}_{len(self.nodes) + 1}", domain=domain or None)
        node.attribute.extend(helper.make_attribute(k, v) for k, v in sorted(attrs.items()))
        self.nodes.append(node)
        return outputs[0]

    def skip_layer_norm(self, W: dict[str, np.ndarray], block: str, x: str, skip: str, *, tag: str) -> str:
        """LayerNorm(x + skip + dense bias) of a BERT output block ("...attention.output." or "...output.") as one
        SkipLayerNormalization node; `tag` prefixes its initializers and names its output."""
        gamma = self.const(f"{tag}.g", W[block + "LayerNorm.weight"])
        beta = self.const(f"{tag}.b", W[block + "LayerNorm.bias"])
        bias = self.const(f"{tag}.bias", W[block + "dense.bias"])
        inputs = [x, skip, gamma, beta, bias]
        return self.node("SkipLayerNormalization", inputs, [f"{tag}.out"], domain="com.microsoft", epsilon=1e-12)


def build_fused(data: bytes) -> bytes:
    """The fused ONNX model (serialised) of the shipped int8 export `data`."""
    W, raw = _source_weights(data)
    e, g = "inner.embeddings.", _GraphBuilder()
    # Embeddings: int8 word table gathered then scaled (keeps 35 MB of float out of memory); position and
    # token-type-0 rows folded into one table.
    pos = W[e + "position_embeddings.weight"] + W[e + "token_type_embeddings.weight"][0]
    wq = g.node("Gather", [g.const("word_q", raw["word_q"]), "input_ids"], ["wq"], axis=0)
    ws = g.node("Gather", [g.const("word_scale", raw["word_scale"]), "input_ids"], ["ws"], axis=0)
    word = g.node("Mul", [g.node("Cast", [wq], ["wf"], to=TensorProto.FLOAT), ws], ["word"])
    seq = g.node("Shape", ["input_ids"], ["seq"], start=1, end=2)
    zero = g.const("zero", np.zeros(1, np.int64))
    pos_s = g.node("Slice", [g.const("pos", pos), zero, seq, zero], ["pos_s"])
    emb = g.node("Add", [word, pos_s], ["emb"])
    ln_g, ln_b = g.const("emb_g", W[e + "LayerNorm.weight"]), g.const("emb_b", W[e + "LayerNorm.bias"])
    x = g.node("LayerNormalization", [emb, ln_g, ln_b], ["x0"], axis=-1, epsilon=1e-12)
    axis1 = g.const("axis1", np.ones(1, np.int64))
    lengths = g.node("ReduceSum", ["attention_mask", axis1], ["lengths"], keepdims=0)
    mask_index = g.node("Cast", [lengths], ["mask_index"], to=TensorProto.INT32)
    layers = sum(1 for k in W if k.endswith(".intermediate.dense.weight"))
    for i in range(layers):
        p = f"inner.encoder.layer.{i}."
        qkv = [p + f"attention.self.{t}" for t in ("query", "key", "value")]
        wqkv = g.const(f"l{i}.wqkv", np.concatenate([W[k + ".weight"] for k in qkv], axis=1))
        bqkv = g.const(f"l{i}.bqkv", np.concatenate([W[k + ".bias"] for k in qkv]))
        ctx = g.node("Attention", [x, wqkv, bqkv, mask_index], [f"l{i}.ctx"], domain="com.microsoft", num_heads=_HEADS)
        ao = g.node("MatMul", [ctx, g.const(f"l{i}.wo", W[p + "attention.output.dense.weight"])], [f"l{i}.ao"])
        x1 = g.skip_layer_norm(W, p + "attention.output.", ao, x, tag=f"l{i}.ln1")
        h = g.node("MatMul", [x1, g.const(f"l{i}.w1", W[p + "intermediate.dense.weight"])], [f"l{i}.h"])
        b1 = g.const(f"l{i}.b1", W[p + "intermediate.dense.bias"])
        h = g.node("BiasGelu", [h, b1], [f"l{i}.gelu"], domain="com.microsoft")
        h = g.node("MatMul", [h, g.const(f"l{i}.w2", W[p + "output.dense.weight"])], [f"l{i}.ffn"])
        x = g.skip_layer_norm(W, p + "output.", h, x1, tag=f"l{i}.ln2")
    # Mean pooling over the mask, then L2 normalisation (the 1/length factor cancels out).
    maskf = g.node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT)
    mask3 = g.node("Unsqueeze", [maskf, g.const("axis2", np.full(1, 2, np.int64))], ["mask3"])
    summed = g.node("ReduceSum", [g.node("Mul", [x, mask3], ["masked"]), axis1], ["summed"], keepdims=0)
    g.node("LpNormalization", [summed], [OUTPUT], axis=-1, p=2)
    dim = int(W[e + "LayerNorm.weight"].shape[0])
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT32, ["batch", "sequence"])
        for name in ("input_ids", "attention_mask")
    ]
    output = helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", dim])
    graph = helper.make_graph(g.nodes, "minilm_fused", inputs, [output], initializer=g.inits)
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="newsdesk.ingest.embed", ir_version=8)
    return model.SerializeToString()


def fused_session(
    src: Path,
    cache_dir: Path,
    options: ort.SessionOptions,
    cosine_to_plain: Callable[[ort.InferenceSession], float],
) -> ort.InferenceSession:
    """A session on the fused graph of the model file `src`: the cached file, or one built, checked and cached now.

    `cosine_to_plain(session)` is the smallest cosine between the new session's vectors and the plain model's on
    a few probe texts; below MIN_COSINE the graph is rejected (ValueError) and nothing is cached.
    """
    data = src.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    target = cache_dir / f"minilm-l6-fused-v{_VERSION}-{digest}-ort{ort.__version__}.onnx"
    if target.exists():
        try:
            return ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a damaged cache file: rebuild it
            log.warning("cached embedding model %s is unusable (%s); rebuilding it", target, exc)
    t0 = time.perf_counter()
    model = build_fused(data)
    del data
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    cosine = cosine_to_plain(session)
    if cosine < MIN_COSINE:
        raise ValueError(f"fused model disagrees with the plain model (cosine {cosine:.6f})")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=target.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(model)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.warning("cannot cache the fused embedding model in %s (%s); it is rebuilt next time", cache_dir, exc)
    log.info(
        "built the fused MiniLM graph in %.1f s (cosine vs plain model %.6f): %s",
        time.perf_counter() - t0,
        cosine,
        target,
    )
    return session
