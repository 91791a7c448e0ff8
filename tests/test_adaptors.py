"""Deep-learning adaptors against numpy twins: layouts, eval and inference mode, heads, batching.

PyTorch is required (test extra); Keras 3 and JAX run under the ``frameworks`` marker
and skip, with a reason, where they are not installed.
"""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose

import shap_zero as sz
from shap_zero.adaptors import numpy_inputs
from shap_zero.exceptions import InvalidParameterError, ModelError

torch = pytest.importorskip("torch", reason="PyTorch is in the test extra")

N_POS = 7


def _onehot_twin(codes: np.ndarray, q: int, layout: str) -> np.ndarray:
    """The one-hot by its definition, loop by loop."""
    out = np.zeros((codes.shape[0], codes.shape[1], q))
    for r in range(codes.shape[0]):
        for i in range(codes.shape[1]):
            out[r, i, codes[r, i]] = 1.0
    if layout == "channels_first":
        return out.transpose(0, 2, 1)
    if layout == "flat":
        return out.reshape(codes.shape[0], -1)
    return out


class Recorder(torch.nn.Module):
    """Returns a fixed linear read-out of its input and records what it saw."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.weights = torch.nn.Parameter(torch.linspace(-1, 1, width))
        self.seen: list[dict] = []

    def forward(self, x):
        self.seen.append({"x": x.clone(), "training": self.training, "inference": torch.is_inference_mode_enabled()})
        return x.reshape(x.shape[0], -1).to(self.weights.dtype) @ self.weights


@pytest.mark.parametrize("layout", ["channels_last", "channels_first", "flat", "codes"])
def test_the_module_gets_the_layout_in_float32_in_eval_and_inference_mode(layout, rng):
    codes = rng.integers(0, 4, size=(5, N_POS)).astype(np.uint8)
    width = N_POS if layout == "codes" else 4 * N_POS
    module = Recorder(width)
    module.train()
    model = sz.TorchModel(module, sz.DNA, layout=layout)
    assert not module.training  # eval mode from the start
    out = model(codes)
    seen = module.seen[-1]
    expected = codes.astype(np.int64) if layout == "codes" else _onehot_twin(codes, 4, layout)
    assert_allclose(seen["x"].numpy(), expected)
    assert seen["x"].dtype == (torch.int64 if layout == "codes" else torch.float32)
    assert seen["inference"] and not seen["training"]
    assert out.dtype == np.float64 and out.shape == (5,)
    assert_allclose(out, expected.reshape(5, -1) @ np.linspace(-1, 1, width), rtol=1e-6)
    assert_allclose(numpy_inputs(codes, 4, layout, np.float32), expected)


def test_dtype_device_and_sub_batches(rng):
    codes = rng.integers(0, 4, size=(50, N_POS)).astype(np.uint8)
    module = Recorder(4 * N_POS).double()
    one_pass = sz.TorchModel(module, 4, dtype="float64")
    whole = one_pass(codes)
    assert module.seen[-1]["x"].dtype == torch.float64 and module.seen[-1]["x"].device.type == "cpu"
    module.seen.clear()
    # 8 bytes x 28 entries per row: 1,000 bytes hold 4 rows, so 50 rows take 13 passes.
    split = sz.TorchModel(module, 4, dtype=torch.float64, max_batch_bytes=1000)
    assert_allclose(split(codes), whole, rtol=0, atol=0)
    assert [len(entry["x"]) for entry in module.seen] == [4] * 12 + [2]


def test_output_heads(rng):
    codes = rng.integers(0, 4, size=(6, N_POS)).astype(np.uint8)

    class Heads(torch.nn.Module):
        def forward(self, x):
            total = x.sum(dim=(1, 2))
            return {"efficacy": total, "both": torch.stack([total, 2 * total], 1)}, total - 1

    module = Heads()
    twin = np.full(6, float(N_POS))
    assert_allclose(sz.TorchModel(module, 4, head=1)(codes), twin - 1)
    assert_allclose(sz.TorchModel(module, 4, head=lambda out: out[0]["both"][:, 1])(codes), 2 * twin)
    dict_model = sz.TorchModel(lambda x: {"a": x.sum(dim=(1, 2)), "b": torch.stack([x[:, 0, 0], x[:, 1, 1]], 1)}, 4)
    assert_allclose(sz.TorchModel(dict_model.module, 4, head="a")(codes), twin)
    assert_allclose(sz.TorchModel(dict_model.module, 4, head=(lambda out: out["b"]))(codes)[:, 0], codes[:, 0] == 0)
    with pytest.raises(ModelError, match="not among the outputs"):
        sz.TorchModel(dict_model.module, 4, head="c")(codes)
    with pytest.raises(ModelError, match="does not index the 2 outputs"):
        sz.TorchModel(module, 4, head=5)(codes)
    with pytest.raises(ModelError, match="not a tensor"):
        sz.TorchModel(module, 4)(codes)


def test_bad_options_name_the_argument():
    with pytest.raises(InvalidParameterError, match="layout must be one of"):
        sz.TorchModel(Recorder(4), 4, layout="NCL")
    with pytest.raises(InvalidParameterError, match="dtype must be a floating torch dtype"):
        sz.TorchModel(Recorder(4), 4, dtype=torch.int32)
    with pytest.raises(InvalidParameterError, match="dtype must name a torch dtype"):
        sz.TorchModel(Recorder(4), 4, dtype="float99")
    with pytest.raises(InvalidParameterError, match="module must be"):
        sz.TorchModel(3, 4)


def test_the_adaptor_pickles_with_its_module(rng):
    codes = rng.integers(0, 4, size=(4, N_POS)).astype(np.uint8)
    model = sz.TorchModel(Recorder(4 * N_POS), sz.DNA)
    again = pickle.loads(pickle.dumps(model))
    assert_allclose(again(codes), model(codes))


def _cnn(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Conv1d(4, 6, 3), torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Flatten(), torch.nn.Linear(6 * 6, 1)
    )
    return net


def test_zero_explainer_takes_a_torch_module_as_it_is(seed, rng):
    net = _cnn(seed)

    def by_hand(codes):  # what a user wrote before the adaptor
        x = torch.nn.functional.one_hot(torch.from_numpy(codes.astype(np.int64)), 4).float().permute(0, 2, 1)
        with torch.no_grad():
            return net.eval()(x).double().numpy()

    options = {"alphabet": sz.DNA, "seq_length": 8, "budget": 20_000, "random_state": seed}
    direct = sz.ZeroExplainer(net, model_input="onehot_channels_first", **options)
    manual = sz.ZeroExplainer(by_hand, **options)
    X = rng.integers(0, 4, size=(5, 8))
    assert_allclose(direct.shap_values(X), manual.shap_values(X), rtol=1e-6, atol=1e-9)
    with pytest.raises(InvalidParameterError, match="model_input for a torch module"):
        sz.ZeroExplainer(net, model_input="strings", **options)
    with pytest.raises(InvalidParameterError, match="TorchModel"):
        sz.ZeroExplainer(net, model_input="onehot", output_class=1, **options)


@pytest.mark.frameworks
def test_keras_model_gets_channels_last_float32(rng, monkeypatch):
    import importlib.util

    if "KERAS_BACKEND" not in os.environ and importlib.util.find_spec("jax") is not None:
        monkeypatch.setenv("KERAS_BACKEND", "jax")  # Keras 3 on JAX needs no TensorFlow
    keras = pytest.importorskip("keras", reason="Keras 3 is optional (pip install keras and a backend)")
    codes = rng.integers(0, 4, size=(9, N_POS)).astype(np.uint8)
    inputs = keras.Input((N_POS, 4))
    dense = keras.layers.Dense(1, use_bias=False)
    net = keras.Model(inputs, dense(keras.layers.Flatten()(inputs)))
    weights = np.asarray(dense.get_weights()[0])[:, 0]
    model = sz.KerasModel(net, sz.DNA, max_batch_bytes=4 * 4 * N_POS * 4)  # 4 rows per pass
    out = model(codes)
    assert out.dtype == np.float64 and out.shape == (9, 1)
    assert_allclose(out[:, 0], _onehot_twin(codes, 4, "flat") @ weights, rtol=1e-5)
    seen = []
    assert_allclose(sz.KerasModel(lambda x: seen.append(x) or x.sum(axis=(1, 2)), 4, layout="channels_first")(codes), N_POS)
    assert seen[0].dtype == np.float32 and seen[0].shape == (9, 4, N_POS)


@pytest.mark.frameworks
def test_jax_function_gets_its_layout(rng):
    jax = pytest.importorskip("jax", reason="JAX is optional (pip install jax)")
    codes = rng.integers(0, 4, size=(6, N_POS)).astype(np.uint8)
    weights = np.linspace(-1, 1, 4 * N_POS)

    @jax.jit
    def linear(x):
        return x.reshape(x.shape[0], -1) @ weights.astype(np.float32)

    for layout in ("channels_last", "channels_first", "flat"):
        out = sz.JaxModel(linear, sz.DNA, layout=layout)(codes)
        assert_allclose(out, _onehot_twin(codes, 4, layout).reshape(6, -1) @ weights, rtol=1e-5)
    assert_allclose(sz.JaxModel(lambda x: x.sum(axis=1), 4, layout="codes")(codes), codes.sum(axis=1))
