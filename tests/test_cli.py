"""The shap-zero command line: sketch, explain and info, checked against the library's own calls."""

from __future__ import annotations

import json
import sys
import textwrap
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import shap_zero as sz
from shap_zero import cli
from shap_zero._progress import progress_bar

MODEL_SOURCE = textwrap.dedent(
    """
    import numpy as np

    WEIGHTS = np.random.default_rng(5).normal(size=(7, 4))

    def model(codes):
        codes = np.asarray(codes)
        additive = WEIGHTS[np.arange(7), codes].sum(axis=1)
        return np.tanh(additive) + 0.5 * (codes[:, 1] == codes[:, 4])

    NOT_CALLABLE = 3
    """
)


@pytest.fixture
def model_file(tmp_path, monkeypatch):
    path = tmp_path / "cli_test_model.py"
    path.write_text(MODEL_SOURCE)
    monkeypatch.setattr(sys, "path", list(sys.path))  # load_callable adds the folder
    monkeypatch.delitem(sys.modules, "cli_test_model", raising=False)
    return path


def _fasta(path: Path, sequences: list[str], ids: list[str]) -> Path:
    path.write_text("".join(f">{record} some description\n{sequence}\n" for record, sequence in zip(ids, sequences)))
    return path


def test_the_console_script_is_the_cli_main():
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["shap-zero"] == "shap_zero.cli:main"


def test_sketch_explain_and_info_round_trip(model_file, tmp_path, capsys, seed):
    sketch_path = tmp_path / "m.sketch.npz"
    checkpoint = tmp_path / "run.ckpt"
    arguments = ["sketch", "--model", f"{model_file}:model", "--alphabet", "DNA", "--length", "7", "--budget", "12000",
                 "--method", "hybrid", "--check", "4", "--checkpoint", str(checkpoint), "--seed", str(seed),
                 "-o", str(sketch_path), "--quiet"]  # fmt: skip
    assert cli.main(arguments) == 0
    printed = capsys.readouterr().out
    assert "'hybrid' engine" in printed and "accuracy check: SHAP-value NMSE" in printed
    sketch = sz.FourierSketch.load(sketch_path)
    assert sketch.n == 7 and sketch.alphabet == sz.DNA
    quality = sketch.metadata["quality"]
    assert quality["shap_accuracy"]["n_sequences"] == 4 and quality["n_validation"] > 0
    # The same command resumes from the checkpoint: no query is asked twice, and one seed gives one sketch.
    second = tmp_path / "again.sketch.npz"
    assert cli.main([*arguments[:-2], str(second), "--quiet"]) == 0
    assert "from the checkpoint" in capsys.readouterr().out
    again = sz.FourierSketch.load(second)
    assert_allclose(again.coefficients, sketch.coefficients, atol=0)

    # info shows the engine, the queries and the accuracy estimate stored in the file.
    assert cli.main(["info", str(sketch_path)]) == 0
    text = capsys.readouterr().out
    assert f"{sketch.metadata['n_queries']:,} model queries" in text and "engine 'hybrid'" in text
    assert f"held-out R^2 {quality['held_out_r2']:.3f}" in text and "SHAP-value NMSE" in text
    assert cli.main(["info", str(sketch_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metadata"]["method"] == "hybrid"

    # explain writes the values the library computes, with ids, letters and 1-based positions.
    rng = np.random.default_rng(seed)
    sequences = ["".join(rng.choice(list("ACGT"), 7)) for _ in range(9)]
    ids = [f"guide{i}" for i in range(9)]
    fasta = _fasta(tmp_path / "seqs.fa", sequences, ids)
    values_path = tmp_path / "values.csv"
    arguments = ["explain", str(sketch_path), str(fasta), "-o", str(values_path), "--interactions", "FSII",
                 "--plots", str(tmp_path / "figures"), "--quiet"]  # fmt: skip
    assert cli.main(arguments) == 0
    table = pd.read_csv(values_path)
    expected = sz.shapley_values(sketch, sequences)
    assert list(table["id"].unique()) == ids
    assert_allclose(table["value"].to_numpy().reshape(9, 7), expected, atol=1e-12)
    assert "".join(table["letter"][table["id"] == "guide3"]) == sequences[3]
    assert list(table["position"][:7]) == list(range(1, 8))
    pairs = pd.read_csv(tmp_path / "values.interactions.csv")
    reference = sz.interaction_values(sketch, sequences, index="FSII", order=2)
    assert_allclose(pairs["value"].to_numpy().reshape(9, -1), reference.values, atol=1e-12)
    assert sorted(path.name for path in (tmp_path / "figures").iterdir()) == [
        "bar.png", "beeswarm.png", "interaction_heatmap.png", "logo.png"]  # fmt: skip


def test_explain_holds_unknown_symbols_at_the_background(tmp_path, capsys):
    truth = sz.random_sparse_sketch(6, 4, 30, max_degree=3, alphabet=sz.DNA, random_state=3)
    sketch_path = tmp_path / "t.npz"
    truth.save(sketch_path)
    fasta = _fasta(tmp_path / "s.fa", ["ACGTAC", "ACNTAC", "GGGG"], ["ok", "with_n", "short"])
    out = tmp_path / "v.csv"
    assert cli.main(["explain", str(sketch_path), str(fasta), "-o", str(out)]) == 1
    assert "record 'with_n' has 'N' at position 3" in capsys.readouterr().err
    assert cli.main(["explain", str(sketch_path), str(fasta), "-o", str(out), "--ambiguous", "skip", "--quiet"]) == 0
    assert list(pd.read_csv(out)["id"].unique()) == ["ok"]
    assert "skipped record 'with_n'" in capsys.readouterr().err
    # A record of another length is still refused under the background policy.
    assert cli.main(["explain", str(sketch_path), str(fasta), "-o", str(out), "--ambiguous", "background"]) == 1
    fasta = _fasta(tmp_path / "s.fa", ["ACGTAC", "ACNTAC"], ["ok", "with_n"])
    assert cli.main(["explain", str(sketch_path), str(fasta), "-o", str(out), "--ambiguous", "background"]) == 0
    table = pd.read_csv(out)
    row = table[table["id"] == "with_n"]
    held = np.zeros((1, 6), dtype=bool)
    held[0, 2] = True
    expected = sz.shapley_values(truth, ["ACATAC"], held=held)[0]
    assert_allclose(row["value"], expected, atol=1e-12)
    assert row["value"].iloc[2] == 0.0 and row["letter"].iloc[2] == "N"


def test_cli_errors_name_the_argument(model_file, tmp_path, capsys):
    common = ["--alphabet", "DNA", "--length", "7", "-o", str(tmp_path / "x.npz"), "--quiet"]
    assert cli.main(["sketch", "--model", f"{model_file}:missing", *common]) == 1
    assert "has no attribute 'missing'" in capsys.readouterr().err
    assert cli.main(["sketch", "--model", f"{model_file}:NOT_CALLABLE", *common]) == 1
    assert "is a int, not a callable" in capsys.readouterr().err
    assert cli.main(["sketch", "--model", "no_such_module_here:model", *common]) == 1
    assert "cannot import module 'no_such_module_here'" in capsys.readouterr().err
    assert cli.main(["sketch", "--model", "model_without_colon", *common]) == 1
    assert "expected 'package.module:callable'" in capsys.readouterr().err
    bad_alphabet = ["sketch", "--model", f"{model_file}:model", "--alphabet", "AAC", *common[2:]]
    assert cli.main(bad_alphabet) == 1
    assert "--alphabet: expected DNA, RNA, protein or at least 2 distinct letters" in capsys.readouterr().err
    assert cli.main(["info", str(tmp_path / "nothing.npz")]) == 1
    assert "nothing.npz" in capsys.readouterr().err


def test_parse_alphabet_reads_names_and_letters():
    assert cli.parse_alphabet("dna") is sz.DNA and cli.parse_alphabet("Protein") is sz.PROTEIN
    assert cli.parse_alphabet("ACGU").symbols == "ACGU"


def test_progress_rate_leaves_out_the_first_update():
    clock = [0.0]
    bar = progress_bar(True, total=100, description="queries", warm_up=True)
    bar._time = lambda: clock[0]
    bar.start_t = 0.0
    try:
        clock[0] = 100.0  # the first batch took 100 s: start-up, not the steady rate
        bar.update(10)
        assert bar.format_dict["rate"] is None and "<?" in str(bar)
        clock[0] = 101.0  # the next 10 took 1 s
        bar.update(10)
        assert bar.format_dict["rate"] == pytest.approx(10.0)
        assert "<00:08" in str(bar)  # 80 left at 10 per second; the plain average would say 06:44
        assert "01:41<" in str(bar)  # elapsed still counts from the start
    finally:
        bar.close()


def test_kernels_cached_looks_for_numba_index_files(tmp_path, monkeypatch):
    import numba

    import shap_zero._kernels as kernels

    package = tmp_path / "kernels"
    package.mkdir()
    monkeypatch.setattr(kernels, "__file__", str(package / "__init__.py"))
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    assert not cli.kernels_cached()
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "transforms.kernel-12.py311.nbi").write_bytes(b"")
    assert cli.kernels_cached()
