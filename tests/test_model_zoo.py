"""The benchmark model zoo: every model's contract, and oracles for the ones we define.

Optional dependencies skip with a reason; the Doench 2016 data is used only when it is
available offline (cache, SHAP_ZERO_DOENCH2016_CSV or an installed azimuth), never downloaded here.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import multiprocessing
import operator
import pickle
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from itertools import combinations

import numpy as np
import pytest

import shap_zero as sz
from benchmarks import genomic_models as gm
from benchmarks import model_zoo as mz
from benchmarks import protein_models as pm
from shap_zero.oracle import brute_force_shapley

MODELS = [
    "synthetic_sparse", "synthetic_dense", "vienna_mfe", "rule_set3", "xgboost_doench2016", "jaspar_pwm",
    "gb1_landscape", "gb1_mlp", "sapiens_vh",
]  # fmt: skip
REQUIRES = {
    "vienna_mfe": ("RNA", "pip install ViennaRNA"),
    "rule_set3": ("rs3", mz.RS3_INSTALL_HINT),
    "xgboost_doench2016": ("xgboost", "pip install xgboost-cpu pandas"),
    "jaspar_pwm": ("pyjaspar", "pip install pyjaspar"),
    "gb1_landscape": ("gpmap", pm.GPMAP_HINT),
    "gb1_mlp": ("torch", "pip install torch (and, for the data, " + pm.MAVENN_HINT + ")"),
    "sapiens_vh": ("torch", "pip install torch (and " + pm.SAPIENS_HINT + ")"),
}
COMPLEMENT = str.maketrans("ACGT", "TGCA")


def _decode(codes, letters="ACGT"):
    return ["".join(letters[c] for c in row) for row in codes]


def _encode(strings, letters="ACGT"):
    return np.array([[letters.index(ch) for ch in s] for s in strings], dtype=np.uint8)


@pytest.fixture(scope="module")
def doench_source():
    """A local copy of the Doench 2016 data (CSV or wheel), or skip."""
    pytest.importorskip("xgboost", reason="xgboost_doench2016 needs xgboost (pip install xgboost-cpu)")
    pytest.importorskip("pandas", reason="xgboost_doench2016 needs pandas")
    found = gm.find_doench2016()
    if found is None:
        pytest.skip(f"Doench 2016 data not available offline ({gm.DOENCH2016_HINT})")
    return str(found[1])


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """Load a model once per module; skip when its dependency or data is missing."""
    loaded = {}

    def get(name):
        if name not in loaded:
            if name in REQUIRES:
                module, hint = REQUIRES[name]
                pytest.importorskip(module, reason=f"{name} needs {module}: {hint}")
            options = {}
            if name == "xgboost_doench2016":
                found = gm.find_doench2016()
                if found is None:
                    pytest.skip(f"Doench 2016 data not available offline ({gm.DOENCH2016_HINT})")
                options = {"csv_path": str(found[1]), "cache_dir": str(tmp_path_factory.mktemp("zoo_cache"))}
            available, reason = mz.model_available(name, **options)
            if not available:
                pytest.skip(reason)
            loaded[name] = mz.load_model(name, **options)
        return loaded[name]

    return get


def _rows(model, rng, count):
    return rng.integers(0, model.alphabet.q, size=(count, model.seq_length), dtype=np.uint8)


# ---------------------------------------------------------------------------- every model


def test_registry_lists_every_model():
    assert mz.list_models() == MODELS


@pytest.mark.parametrize("name", MODELS)
def test_model_contract(name, zoo, rng):
    model = zoo(name)
    count = 16 if name == "rule_set3" else 200
    codes = _rows(model, rng, count)
    y = model.function(codes)
    assert isinstance(model, mz.BenchmarkModel)
    assert model.name == name and model.kind in mz.KINDS and len(model.description) > 100
    assert isinstance(model.alphabet, sz.Alphabet) and model.alphabet.q == (20 if name.startswith(("gb1", "sapiens")) else 4)
    assert isinstance(y, np.ndarray) and y.shape == (count,) and y.dtype == np.float64
    assert np.isfinite(y).all() and np.ptp(y) > 0
    # Deterministic, and a row's output does not depend on the batch it is in.
    assert np.array_equal(model.function(codes), y)
    assert np.array_equal(model.function(codes[3:7]), y[3:7])
    # Picklable: a round trip gives the same outputs.
    clone = pickle.loads(pickle.dumps(model.function))
    assert np.array_equal(clone(codes), y)
    json.dumps(model.params)  # JSON-ready
    if model.kind.startswith("synthetic"):
        assert model.truth is not None
    if model.truth is not None:
        truth = model.truth
        assert isinstance(truth, sz.FourierSketch) and truth.n == model.seq_length
        assert truth.q == model.alphabet.q and truth.alphabet == model.alphabet
        # The truth is the function's exact spectrum: its terms summed one by one give y.
        brute = _brute_force_sum(truth.frequencies, truth.multiplicity * truth.coefficients, codes, truth.q)
        np.testing.assert_allclose(y, brute.real, rtol=0, atol=1e-9 * max(1.0, np.abs(y).max()))
    else:
        assert model.kind == "real"


@pytest.mark.slow  # a spawn worker imports shap_zero afresh: 3-5 s
def test_functions_run_in_a_spawn_pool(zoo, rng):
    models = [zoo("synthetic_sparse"), mz.load_model("synthetic_dense", seq_length=8, noise_sd=0.5)]
    if mz.model_available("jaspar_pwm")[0]:
        models.append(zoo("jaspar_pwm"))
    inputs = [_rows(model, rng, 50) for model in models]
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        remote = list(pool.map(operator.call, [m.function for m in models], inputs))
    for model, codes, values in zip(models, inputs, remote):
        assert np.array_equal(values, model.function(codes)), model.name


# ---------------------------------------------------------------------------- synthetic models


def test_synthetic_sparse_matches_random_sparse_sketch(rng):
    model = mz.load_model("synthetic_sparse", random_state=3)
    reference = sz.random_sparse_sketch(20, 4, 100, max_degree=3, random_state=3)
    codes = rng.integers(0, 4, size=(100, 20), dtype=np.uint8)
    assert model.seq_length == 20 and model.truth.n_terms == 101 and model.truth.max_degree <= 3
    assert np.array_equal(model.truth.frequencies, reference.frequencies)
    assert np.allclose(model.function(codes), reference.predict(codes))
    other = mz.load_model("synthetic_sparse", random_state=4)
    assert not np.allclose(other.function(codes), model.function(codes))


def _brute_force_sum(frequencies, coefficients, codes, q):
    """f(x) = sum_k F[k] omega^<k, x>, term by term with complex exponentials."""
    total = np.zeros(codes.shape[0], dtype=np.complex128)
    for k, coefficient in zip(frequencies.astype(np.int64), coefficients):
        total += coefficient * np.exp(2j * np.pi * (codes.astype(np.int64) @ k) / q)
    return total


def _slow_dense_spectrum(n, q, max_degree, variance, mean, random_state):
    """The dense model's spectrum from its docstring, frequency by frequency with tuples.

    Per degree d, in the order of combinations of positions and then of values 1..q-1, the
    canonical member of each pair {k, -k} (the lexicographically smaller; k itself when
    k = -k) takes the next complex Gaussian of the degree's draw (real when self-conjugate),
    scaled to carry the share 1/max_degree of the variance; partners get conjugates.
    """
    rng = np.random.default_rng(random_state)
    canonical, partners = [], []
    for degree in range(1, max_degree + 1):
        every = []
        for support in combinations(range(n), degree):
            for values in itertools.product(range(1, q), repeat=degree):
                k = [0] * n
                for position, value in zip(support, values):
                    k[position] = value
                every.append(tuple(k))
        scale = math.sqrt(variance / max_degree / len(every))
        reps = [k for k in every if k <= tuple((-v) % q for v in k)]
        z = rng.standard_normal((len(reps), 2))
        for k, (z1, z2) in zip(reps, z):
            negated = tuple((-v) % q for v in k)
            if negated == k:
                canonical.append((k, complex(scale * z1)))
            else:
                coefficient = scale * complex(z1, z2) / math.sqrt(2.0)
                canonical.append((k, coefficient))
                partners.append((negated, coefficient.conjugate()))
    terms = [((0,) * n, complex(mean))] + canonical + partners
    return np.array([k for k, _ in terms], dtype=np.uint8), np.array([c for _, c in terms])


@pytest.mark.parametrize(("n", "q", "max_degree"), [(5, 4, 2), (4, 3, 3), (6, 2, 2), (3, 6, 3)])
def test_dense_spectrum_equals_a_slow_construction(n, q, max_degree, seed, rng):
    frequencies, coefficients = mz.dense_low_order_spectrum(
        n, q, max_degree=max_degree, variance=1.5, mean=0.3, random_state=seed
    )
    slow_frequencies, slow_coefficients = _slow_dense_spectrum(n, q, max_degree, 1.5, 0.3, seed)
    np.testing.assert_array_equal(frequencies, slow_frequencies)
    np.testing.assert_allclose(coefficients, slow_coefficients, rtol=1e-12, atol=0)
    # The sketch built from it evaluates the slow spectrum's sum.
    alphabet = sz.Alphabet("ACGTRY"[:q], name=f"q{q}")
    model = mz.load_model(
        "synthetic_dense", seq_length=n, random_state=seed, alphabet=alphabet, max_degree=max_degree,
        variance=1.5, mean=0.3,
    )  # fmt: skip
    codes = rng.integers(0, q, size=(60, n), dtype=np.uint8)
    brute = _brute_force_sum(slow_frequencies, slow_coefficients, codes, q)
    np.testing.assert_allclose(model.truth.predict(codes), brute.real, rtol=0, atol=1e-12)
    assert mz.dense_term_count(n, q, max_degree) == len(slow_frequencies) - 1


@pytest.mark.parametrize(("n", "alphabet"), [(20, "DNA"), (5, "DNA"), (4, sz.Alphabet("ACG", name="tri"))])
def test_synthetic_dense_equals_its_defining_sum(n, alphabet, seed, rng):
    model = mz.load_model("synthetic_dense", seq_length=n, random_state=seed, alphabet=alphabet, mean=0.25)
    q = model.alphabet.q
    frequencies, coefficients = mz.dense_low_order_spectrum(n, q, mean=0.25, random_state=seed)
    # The definition: every frequency of degree <= 2 once, conjugate symmetric.
    expected_count = n * (q - 1) + math.comb(n, 2) * (q - 1) ** 2
    assert frequencies.shape[0] == 1 + expected_count == 1 + mz.dense_term_count(n, q, 2)
    assert len({row.tobytes() for row in frequencies}) == frequencies.shape[0]
    assert set(np.count_nonzero(frequencies, axis=1).tolist()) == {0, 1, 2}
    lookup = {row.tobytes(): c for row, c in zip(frequencies, coefficients)}
    for row, c in zip(frequencies, coefficients):
        assert lookup[((-row.astype(np.int64)) % q).astype(np.uint8).tobytes()] == pytest.approx(np.conj(c))
    # Its evaluation is real and the model and its truth compute it.
    codes = rng.integers(0, q, size=(40, n), dtype=np.uint8)
    brute = _brute_force_sum(frequencies, coefficients, codes, q)
    assert np.abs(brute.imag).max() < 1e-9
    assert np.allclose(model.function(codes), brute.real, atol=1e-10)
    assert np.allclose(model.truth.predict(codes), brute.real, atol=1e-10)
    # Term counts: full spectrum, and canonical terms (pairs once, self-conjugate once, plus the mean).
    self_conjugate = (n + math.comb(n, 2)) if q % 2 == 0 else 0
    assert model.truth.n_fourier_coefficients == 1 + expected_count
    assert model.truth.n_terms == 1 + (expected_count + self_conjugate) // 2
    assert model.params["n_fourier_terms"] == expected_count


def test_synthetic_dense_variance_is_split_between_degrees(seed):
    model = mz.load_model("synthetic_dense", random_state=seed, variance=2.0)
    truth = model.truth
    power = truth.multiplicity * np.abs(truth.coefficients) ** 2
    by_degree = [power[truth.degrees == d].sum() for d in (1, 2)]
    # Each degree has expected power 1 (60 and 1,710 random terms): a loose band.
    assert 0.3 < by_degree[0] < 2.0 and 0.8 < by_degree[1] < 1.2
    skewed = mz.load_model("synthetic_dense", seq_length=8, random_state=seed, degree_variance=[1.0, 0.0])
    assert skewed.truth.max_degree == 1


@pytest.mark.parametrize(("name", "n"), [("synthetic_sparse", 6), ("synthetic_dense", 5)])
def test_synthetic_truth_gives_exact_shapley_values(name, n, seed, rng):
    options = {"n_terms": 25} if name == "synthetic_sparse" else {}
    model = mz.load_model(name, seq_length=n, random_state=seed, **options)
    codes = rng.integers(0, 4, size=(3, n), dtype=np.uint8)
    uniform = np.full((1, n, 4), 0.25)
    brute = brute_force_shapley(model.function, codes, np.ones(1), uniform, 4)
    assert np.allclose(sz.shapley_values(model.truth, codes), brute, atol=1e-9)


def test_noise_is_a_fixed_function_of_the_sequence(rng):
    clean = mz.load_model("synthetic_sparse", random_state=1)
    noisy = mz.load_model("synthetic_sparse", random_state=1, noise_sd=2.0)
    codes = rng.integers(0, 4, size=(20_000, 20), dtype=np.uint8)
    residual = noisy.function(codes) - clean.function(codes)
    assert abs(residual.mean()) < 0.1 and 1.9 < residual.std() < 2.1
    assert np.array_equal(noisy.function(codes[::-1]), noisy.function(codes)[::-1])
    assert np.allclose(noisy.truth.predict(codes), clean.function(codes))
    assert noisy.params["noise_sd"] == 2.0
    normal = mz.hashed_normal(codes, 7)
    assert np.array_equal(normal, mz.hashed_normal(codes.copy(), 7))
    assert not np.array_equal(normal, mz.hashed_normal(codes, 8))


# ---------------------------------------------------------------------------- JASPAR PWM


def _slow_occupancy(sequence, counts):
    """ln sum over offsets and strands of exp(log-odds score), one window at a time."""
    length = len(counts)
    log_odds = []
    for column in counts:
        total = sum(column)
        extra = math.sqrt(total)
        log_odds.append(
            {base: math.log((c + extra / 4) / (total + extra) / 0.25) for base, c in zip("ACGT", column)}
        )
    reverse = sequence.translate(COMPLEMENT)[::-1]
    scores = []
    for strand in (sequence, reverse):
        for offset in range(len(sequence) - length + 1):
            window = strand[offset : offset + length]
            scores.append(sum(log_odds[j][base] for j, base in enumerate(window)))
    return math.log(sum(math.exp(s) for s in scores))


def test_jaspar_pwm_equals_a_slow_loop(zoo, rng):
    model = zoo("jaspar_pwm")
    from pyjaspar import jaspardb

    motif = jaspardb(release="JASPAR2024").fetch_motif_by_id("MA0139.2")
    counts = list(zip(*(motif.counts[b] for b in "ACGT")))
    assert model.params["motif_name"] == "CTCF" and model.params["motif_length"] == len(counts) == 15
    codes = _rows(model, rng, 25)
    codes[0, 2:17] = _encode([str(motif.consensus)])[0]  # one strong site
    slow = np.array([_slow_occupancy(s, counts) for s in _decode(codes)])
    assert np.allclose(model.function(codes), slow, rtol=0, atol=1e-10)
    assert slow[0] > slow[1:].max()


def test_jaspar_pwm_is_reverse_complement_invariant(zoo, rng):
    model = zoo("jaspar_pwm")
    codes = _rows(model, rng, 500)
    reverse = _encode([s.translate(COMPLEMENT)[::-1] for s in _decode(codes)])
    assert np.allclose(model.function(reverse), model.function(codes), rtol=0, atol=1e-10)


def test_jaspar_pwm_options(zoo, rng):
    zoo("jaspar_pwm")  # skips without pyjaspar
    gata = mz.load_model("jaspar_pwm", seq_length=9, motif_id="MA0035.5")
    assert gata.params["motif_name"] == "GATA1" and gata.params["motif_length"] == 7
    assert gata.function(_rows(gata, rng, 10)).shape == (10,)
    with pytest.raises(ValueError, match="seq_length=10 is shorter than the motif"):
        mz.load_model("jaspar_pwm", seq_length=10)


# ---------------------------------------------------------------------------- Doench 2016 XGBoost


def _onehot_loop(strings):
    rows = []
    for s in strings:
        row = [0.0] * 120
        for i, base in enumerate(s):
            row[4 * i + "ACGT".index(base)] = 1.0
        rows.append(row)
    return np.array(rows, dtype=np.float32)


def test_xgboost_doench2016_matches_its_booster(doench_source, tmp_path, rng):
    import xgboost

    model = mz.load_model("xgboost_doench2016", csv_path=doench_source, cache_dir=str(tmp_path))
    training = model.params["training"]
    assert training["n_rows"] == 5310 and training["n_train"] + training["n_test"] == training["n_sequences"]
    assert training["data_sha256"] == gm.DOENCH2016_SHA256
    assert training["test_spearman"] > 0.3  # held-out genes; about 0.43 with the defaults
    codes = rng.integers(0, 4, size=(300, 28), dtype=np.uint8)
    strings = [s[:25] + "GG" + s[25:] for s in _decode(codes)]
    models = (tmp_path / "models").glob("xgboost_doench2016-*.json")
    (model_file,) = [path for path in models if ".report" not in path.name]
    booster = xgboost.Booster(model_file=str(model_file))
    expected = booster.predict(xgboost.DMatrix(_onehot_loop(strings)))
    assert np.array_equal(model.function(codes), expected.astype(np.float64))
    # The second load comes from the cache and gives the same function.
    again = mz.load_model("xgboost_doench2016", csv_path=doench_source, cache_dir=str(tmp_path))
    assert again.params == model.params
    assert np.array_equal(again.function(codes), model.function(codes))
    assert np.array_equal(pickle.loads(pickle.dumps(model.function))(codes), expected.astype(np.float64))


def test_xgboost_training_is_deterministic_and_holds_out_genes(doench_source, rng):
    data, _ = gm.read_doench2016_csv(doench_source, download=False)
    first, report = gm.train_doench2016_xgboost(data, random_state=5, n_estimators=40)
    second, _ = gm.train_doench2016_xgboost(data, random_state=5, n_estimators=40)
    assert first == second
    dataset = gm.parse_doench2016(data)
    assert dataset["codes"].shape == (report["n_sequences"], 30) and (dataset["codes"][:, 25:27] == 2).all()
    test = gm.gene_split(dataset["gene"], 0.2, 5)
    assert not set(dataset["gene"][test]) & set(dataset["gene"][~test])
    assert test.sum() == report["n_test"] >= 0.2 * len(test)
    codes = rng.integers(0, 4, size=(50, 28), dtype=np.uint8)
    other, _ = gm.train_doench2016_xgboost(data, random_state=6, n_estimators=40)
    assert not np.array_equal(gm.DoenchXGBoost(first)(codes), gm.DoenchXGBoost(other)(codes))


def _fake_csv():
    header = "30mer,Target gene,score_drug_gene_rank\n"
    return (header + "AAAACCCCGGGGTTTTACGTACGTAGGTTT,G1,0.5\n").encode()


def test_doench2016_data_sources(tmp_path, monkeypatch):
    real_find_spec = gm.importlib.util.find_spec
    def no_azimuth(name, *args):
        return None if name == "azimuth" else real_find_spec(name, *args)

    monkeypatch.setattr(gm.importlib.util, "find_spec", no_azimuth)
    monkeypatch.delenv(gm.DOENCH2016_ENV, raising=False)
    monkeypatch.setenv("SHAP_ZERO_CACHE", str(tmp_path / "empty"))
    assert gm.find_doench2016() is None
    with pytest.raises(FileNotFoundError, match="not available offline"):
        gm.read_doench2016_csv(download=False)
    available, reason = mz.model_available("xgboost_doench2016", offline=True)
    assert not available and gm.DOENCH2016_ENV in reason and "pip" in reason
    if mz.model_available("xgboost_doench2016")[0]:
        assert "downloads" in mz.model_available("xgboost_doench2016")[1]
    # A wheel in the cache is read without extracting anything.
    wheel = tmp_path / "empty" / "doench2016" / gm.AZIMUTH_WHEEL
    wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(gm.DOENCH2016_MEMBER, _fake_csv())
    assert gm.find_doench2016() == ("wheel", wheel)
    assert gm.read_doench2016_csv(download=False)[0] == _fake_csv()
    # An installed azimuth package is found without importing it.
    site = tmp_path / "site"
    (site / "azimuth" / "data").mkdir(parents=True)
    (site / "azimuth" / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    (site / "azimuth" / "data" / "FC_plus_RES_withPredictions.csv").write_bytes(_fake_csv())
    monkeypatch.setattr(gm.importlib.util, "find_spec", real_find_spec)
    monkeypatch.syspath_prepend(str(site))
    assert gm.find_doench2016() == ("csv", site / "azimuth" / "data" / "FC_plus_RES_withPredictions.csv")
    assert "azimuth" not in sys.modules
    # An explicit path wins, and a wrong one is an error rather than a silent fallback.
    explicit = tmp_path / "mine.csv"
    explicit.write_bytes(_fake_csv())
    monkeypatch.setenv(gm.DOENCH2016_ENV, str(explicit))
    assert gm.find_doench2016() == ("csv", explicit)
    with pytest.raises(FileNotFoundError, match="csv_path"):
        gm.find_doench2016(tmp_path / "missing.csv")
    with pytest.raises(FileNotFoundError, match="csv_path"):
        mz.load_model("xgboost_doench2016", csv_path=str(tmp_path / "missing.csv"))


def test_doench_features_layout():
    codes = np.array([[0, 1, 2, 3] * 7 + [0, 1]], dtype=np.uint8)
    values = codes[0].tolist()
    onehot = gm.doench_features(codes, "onehot")
    both = gm.doench_features(codes, "onehot+dinucleotide")
    assert onehot.shape == (1, 120) and both.shape == (1, 120 + 29 * 16)
    assert np.flatnonzero(onehot[0]).tolist() == [4 * i + values[i] for i in range(30)]
    pairs = [120 + 16 * i + 4 * values[i] + values[i + 1] for i in range(29)]
    assert np.flatnonzero(both[0, 120:]).tolist() == [p - 120 for p in pairs]
    assert np.array_equal(gm.expand_30mer(np.zeros((2, 28), np.uint8))[:, 25:27], np.full((2, 2), 2))


# ---------------------------------------------------------------------------- real models from packages


def test_vienna_equals_rna_fold(zoo, rng):
    model = zoo("vienna_mfe")
    import RNA

    codes = _rows(model, rng, 5)
    expected = [RNA.fold(s)[1] for s in _decode(codes, "ACGU")]
    assert model.seq_length == 26 and model.alphabet is sz.RNA
    assert np.allclose(model.function(codes), expected)
    assert mz.load_model("vienna_mfe", seq_length=40).seq_length == 40


def test_rule_set3_layout(zoo):
    model = zoo("rule_set3")
    assert model.seq_length == 28 and model.function is gm.rule_set3
    with pytest.raises(ValueError, match="28"):
        model.function(np.zeros((2, 30), dtype=np.uint8))


# ---------------------------------------------------------------------------- errors and availability


def test_load_model_errors_name_the_argument_and_valid_choices():
    with pytest.raises(ValueError, match="name='nope'.*synthetic_sparse, synthetic_dense, vienna_mfe"):
        mz.load_model("nope")
    with pytest.raises(ValueError, match="unknown option.*n_term\\b.*valid options: n_terms"):
        mz.load_model("synthetic_sparse", n_term=5)
    with pytest.raises(ValueError, match="vienna_mfe.*none"):
        mz.load_model("vienna_mfe", temperature=20)
    with pytest.raises(ValueError, match="seq_length=20 .*rule_set3.*28"):
        mz.load_model("rule_set3", seq_length=20)
    with pytest.raises(ValueError, match="seq_length=30 .*xgboost_doench2016.*28"):
        mz.load_model("xgboost_doench2016", seq_length=30)
    with pytest.raises(ValueError, match="seq_length must be a positive integer"):
        mz.load_model("synthetic_sparse", seq_length=0)
    with pytest.raises(ValueError, match="random_state must be a non-negative integer"):
        mz.load_model("synthetic_sparse", random_state=-1)
    with pytest.raises(ValueError, match="alphabet must be"):
        mz.load_model("synthetic_dense", alphabet="XYZ")
    with pytest.raises(ValueError, match="valid names"):
        mz.model_available("nope")


@pytest.mark.parametrize("name", MODELS)
def test_model_available_gives_a_reason(name):
    available, reason = mz.model_available(name)
    assert isinstance(available, bool) and isinstance(reason, str) and reason
    if name.startswith("synthetic"):
        assert available and reason == "always available (numpy and shap_zero only)"
    elif not available:  # a missing package or data set, and how to get it
        assert "install" in reason or gm.DOENCH2016_HINT in reason, reason


def test_missing_dependency_is_reported_with_an_install_hint(monkeypatch):
    real_import = mz.importlib.import_module

    def without_pyjaspar(module, *args):
        if module.split(".")[0] in ("pyjaspar", "RNA"):
            raise ImportError(f"No module named {module!r}")
        return real_import(module, *args)

    monkeypatch.setattr(mz.importlib, "import_module", without_pyjaspar)
    available, reason = mz.model_available("jaspar_pwm")
    assert not available and "pip install pyjaspar" in reason
    with pytest.raises(ImportError, match="cannot load 'jaspar_pwm'.*pip install pyjaspar"):
        mz.load_model("jaspar_pwm")
    available, reason = mz.model_available("vienna_mfe")
    assert not available and "ViennaRNA" in reason
    assert mz.model_available("synthetic_sparse")[0]


def test_throughput_helper(monkeypatch):
    model = mz.load_model("synthetic_sparse", seq_length=8)
    calls = []

    def recording(codes):
        calls.append(codes.copy())
        return model.function(codes)

    clock = iter([10.0, 10.25])  # the timed call takes 0.25 s
    monkeypatch.setattr(mz, "time", type("Clock", (), {"perf_counter": staticmethod(lambda: next(clock))}))
    rate = mz.measure_throughput(dataclasses.replace(model, function=recording), 1000, random_state=3)
    assert rate == 1000 / 0.25
    # A warm-up call on 16 rows, then one timed call on 1,000 uniform random sequences.
    assert [c.shape for c in calls] == [(16, 8), (1000, 8)]
    assert np.array_equal(calls[0], calls[1][:16]) and calls[1].dtype == np.uint8
    expected = np.random.default_rng(3).integers(0, 4, size=(1000, 8), dtype=np.uint8)
    assert np.array_equal(calls[1], expected)


def test_dense_canonical_terms_by_combinatorics():
    # Cross-check the counting argument on a tiny case by enumeration of conjugate classes.
    n, q = 3, 4
    classes = set()
    for d in (1, 2):
        for support in combinations(range(n), d):
            for values in np.ndindex(*(q - 1,) * d):
                k = np.zeros(n, dtype=np.int64)
                k[list(support)] = np.array(values) + 1
                classes.add(min(tuple(k), tuple((-k) % q)))
    assert mz.load_model("synthetic_dense", seq_length=n).truth.n_terms == 1 + len(classes)


# ---------------------------------------------------------------------------- GB1 landscape


def test_gb1_landscape_reads_every_genotype_from_the_file(zoo, rng):
    import pandas as pd

    model = zoo("gb1_landscape")
    frame = pd.read_parquet(pm.gpmap_data_path(pm.GB1_LANDSCAPE_FILE))
    by_genotype = dict(zip(frame.index, frame["y"]))
    assert len(by_genotype) == 160_000
    codes = _rows(model, rng, 500)
    genotypes = ["".join(sz.PROTEIN.symbols[c] for c in row) for row in codes]
    np.testing.assert_array_equal(model.function(codes), [by_genotype[g] for g in genotypes])
    assert model.function(sz.PROTEIN.encode(["VDGV"]))[0] == by_genotype["VDGV"]
    measured = pd.read_parquet(pm.gpmap_data_path(pm.GB1_MEASURED_FILE))
    assert model.params["n_measured"] == len(measured) == 149_361


def test_gb1_truth_is_the_exact_transform(zoo, rng):
    model = zoo("gb1_landscape")
    codes = _rows(model, rng, 3000)  # all 160,000 take 27 s; test_model_contract sums terms one by one
    np.testing.assert_allclose(model.truth.predict(codes), model.function(codes), rtol=0, atol=1e-9)


def test_gb1_mlp_is_its_network_on_the_one_hot_of_the_whole_sequence(zoo, rng):
    model = zoo("gb1_mlp")
    network = model.function
    weights = network.weights
    codes = _rows(model, rng, 300)
    full = np.tile(sz.PROTEIN.encode([model.params["wild_type"]]), (300, 1))
    start = model.params["window_start"]
    full[:, start : start + model.seq_length] = codes
    one_hot = np.zeros((300, 55 * 20))
    one_hot[np.arange(300)[:, None], np.arange(55) * 20 + full] = 1.0
    hidden = np.maximum(one_hot @ weights["W1"] + weights["b1"], 0.0)
    expected = np.maximum(hidden @ weights["W2"] + weights["b2"], 0.0) @ weights["w3"] + weights["b3"]
    np.testing.assert_allclose(network(codes), expected, rtol=1e-10, atol=1e-10)
    training = model.params["training"]
    assert training["test_spearman"] > 0.9 and training["n_test"] > 20_000  # a model worth explaining


#: A human VH: the IGHV3-23 germline with a CDR-H3 and JH4 (121 residues).
HUMAN_VH = "EVQLLESGGGLVQPGGSLRLSCAASGFTFSSYAMSWVRQAPGKGLEWVSAISGSGGSTYYADSVKGRFTISRDNSKNTLYLQMNSLRAEDTAVYYCAKDRGYSSGWYFDYWGQGTLVTVSS"


def test_sapiens_forward_pass_recovers_masked_residues_and_prefers_real_sequences(zoo):
    import torch

    model = zoo("sapiens_vh").function
    reference = sz.PROTEIN.encode([HUMAN_VH])[0]
    n = reference.size
    tokens = model.tokens(np.tile(reference, (n, 1)))
    tokens[np.arange(n), np.arange(n) + 1] = pm.SAPIENS_MASK  # each position masked in turn
    with torch.inference_mode():
        logits = model.logits(tokens)
    residues = logits[torch.arange(n), torch.arange(n) + 1, pm.SAPIENS_FIRST_RESIDUE : pm.SAPIENS_FIRST_RESIDUE + 20]
    assert (residues.argmax(-1).numpy() == reference).mean() >= 0.9  # 0.99 measured
    shuffled = np.stack([np.random.default_rng(k).permutation(reference) for k in range(10)])
    real, fake = model.log_likelihood(reference[None])[0], model.log_likelihood(shuffled)
    assert real > -40 and fake.max() < -100  # -13 against about -135 measured


def test_sapiens_checkpoint_loads_only_what_it_needs(monkeypatch):
    pytest.importorskip("torch", reason="Sapiens needs torch")
    if not mz.model_available("sapiens_vh")[0]:
        pytest.skip(mz.model_available("sapiens_vh")[1])
    import torch

    weights, settings = pm.load_sapiens_checkpoint("H")
    assert settings["encoder_layers"] == 4 and all(isinstance(t, torch.Tensor) for t in weights.values())
    # Without the one admitted class, the restricted unpickler refuses the file.
    path = pm.package_data_path("sapiens", ("models", "v1", "checkpoint_vh.pt"), pm.SAPIENS_HINT)
    with pytest.raises(Exception, match="argparse.Namespace"):
        torch.load(path, map_location="cpu", weights_only=True)
