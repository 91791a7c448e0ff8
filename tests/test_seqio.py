"""Sequence files in and attribution tables out, checked against what was written and computed."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from numpy.testing import assert_allclose

import shap_zero as sz
from shap_zero.exceptions import InvalidParameterError, InvalidSequenceError

pd = pytest.importorskip("pandas", reason="tables need pandas (test extra)")

RECORDS = [("guide_1", "ACGTAC"), ("guide_2", "ggccat"), ("guide_3", "TTNTAA"), ("guide_4", "ACGTA")]


def _fasta(path, records, compressed=False):
    text = "".join(f">{name} some description\n{seq[:3]}\n{seq[3:]}\n" for name, seq in records)  # wrapped lines
    if compressed:
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)


def test_fasta_with_ids_wrapped_lines_and_gzip(tmp_path):
    pytest.importorskip("Bio", reason="FASTA needs Biopython (test extra)")
    for name, compressed in (("guides.fa", False), ("guides.fasta.gz", True)):
        path = tmp_path / name
        _fasta(path, RECORDS, compressed)
        records = sz.read_sequences(path)
        assert records.ids == [name for name, _ in RECORDS]
        assert records.sequences == [seq for _, seq in RECORDS] and records.skipped == []


def test_ambiguous_symbols_are_refused_by_default_naming_the_record(tmp_path):
    pytest.importorskip("Bio", reason="FASTA needs Biopython (test extra)")
    path = tmp_path / "guides.fa"
    _fasta(path, RECORDS[:3])
    with pytest.raises(InvalidSequenceError, match=r"record 'guide_3' has 'N' at position 3"):
        sz.read_sequences(path, alphabet=sz.DNA, length=6)
    kept = sz.read_sequences(path, alphabet=sz.DNA, length=6, ambiguous="skip")
    assert kept.ids == ["guide_1", "guide_2"] and kept.sequences == ["ACGTAC", "ggccat"]  # soft-masked kept
    assert [record_id for record_id, _ in kept.skipped] == ["guide_3"] and "'N'" in kept.skipped[0][1]
    with pytest.raises(InvalidParameterError, match="ambiguous must be one of"):
        sz.read_sequences(path, alphabet=sz.DNA, ambiguous="mask")
    held = sz.read_sequences(path, alphabet=sz.DNA, length=6, ambiguous="background")
    assert held.ids == ["guide_1", "guide_2", "guide_3"] and held.sequences[2] == RECORDS[2][1]
    expected = np.zeros((3, 6), dtype=bool)
    expected[2] = [symbol not in "ACGTacgt" for symbol in RECORDS[2][1]]
    assert expected[2].any() and np.array_equal(held.held, expected)
    assert np.array_equal(held.codes[:2], sz.DNA.encode(["ACGTAC", "ggccat"]))
    assert np.array_equal(held.codes[2], sz.DNA.encode(["TTATAA"])[0])  # the held N reads as code 0
    _fasta(tmp_path / "all.fa", RECORDS)
    with pytest.raises(InvalidSequenceError, match="guide_4"):  # another length is still refused
        sz.read_sequences(tmp_path / "all.fa", alphabet=sz.DNA, length=6, ambiguous="background")


def test_tables_csv_tsv_parquet(tmp_path):
    frame = pd.DataFrame({"name": [r[0] for r in RECORDS[:2]], "seq": [r[1] for r in RECORDS[:2]]})
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.to_csv(tmp_path / "a.tsv", sep="\t", index=False)
    paths = [tmp_path / "a.csv", tmp_path / "a.tsv"]
    pytest.importorskip("pyarrow", reason="Parquet needs pyarrow (test extra)")
    frame.to_parquet(tmp_path / "a.parquet")
    paths.append(tmp_path / "a.parquet")
    for path in paths:
        records = sz.read_sequences(path, id_column="name", sequence_column="seq", alphabet=sz.DNA, length=6)
        assert records.ids == ["guide_1", "guide_2"] and records.sequences == ["ACGTAC", "ggccat"]
    numbered = sz.read_sequences(tmp_path / "a.csv", id_column=None, sequence_column="seq")
    assert numbered.ids == ["1", "2"]
    with pytest.raises(InvalidParameterError, match="no column 'sequence'"):
        sz.read_sequences(tmp_path / "a.csv")
    with pytest.raises(InvalidParameterError, match="cannot tell the format"):
        sz.seqio.file_format("reads.bam")
    with pytest.raises(FileNotFoundError, match="no such file"):
        sz.read_sequences(tmp_path / "missing.fa")


def _explainer():
    def model(codes):
        effects = np.array([0.0, 0.5, 0.8, -0.3])
        return effects[codes].sum(axis=1) + 1.0 * ((codes[:, 2] == 2) & (codes[:, 3] == 1))

    names = [f"g{i}" for i in range(1, 7)]
    return sz.ZeroExplainer(model, alphabet=sz.DNA, seq_length=6, feature_names=names)


def test_values_tables_long_and_wide_match_the_explanation(tmp_path):
    explainer = _explainer()
    sequences, ids = ["ACGTAC", "GGCCAT"], ["guide_1", "guide_2"]
    explanation = explainer(sequences)
    long = sz.seqio.values_frame(explanation, ids=ids)
    assert list(long.columns) == ["id", "position", "feature", "letter", "value", "base_value"]
    for r, (record_id, sequence) in enumerate(zip(ids, sequences, strict=True)):
        rows = long[long["id"] == record_id]
        assert list(rows["position"]) == list(range(1, 7)) and "".join(rows["letter"]) == sequence
        assert list(rows["feature"]) == explainer.feature_names
        assert_allclose(rows["value"], explanation.values[r])
        assert_allclose(rows["base_value"], explanation.base_values[r])
    wide = sz.seqio.values_frame(explanation, ids=ids, layout="wide")
    assert list(wide["sequence"]) == sequences
    assert_allclose(wide[explainer.feature_names].to_numpy(), explanation.values)
    for suffix in ("csv", "tsv", "csv.gz", "parquet"):
        path = tmp_path / f"values.{suffix}"
        sz.write_values(path, explanation, ids=ids, layout="wide")
        back = pd.read_parquet(path) if suffix == "parquet" else pd.read_csv(path, sep="\t" if suffix == "tsv" else ",")
        assert list(back["id"]) == ids
        assert_allclose(back[explainer.feature_names].to_numpy(), explanation.values, rtol=1e-12)
    with pytest.raises(InvalidParameterError, match="expected 2 ids"):
        sz.write_values(tmp_path / "v.csv", explanation, ids=["one"])


def test_multi_output_values_table_has_an_output_column():
    def two(codes):
        return np.stack([(codes == 2).sum(axis=1), 1.0 * (codes[:, 0] == 0)], axis=1)

    explainer = sz.ZeroExplainer(two, alphabet=sz.DNA, seq_length=4, output_names=["G", "A1"])
    explanation = explainer(["AGGT", "CCCC"])
    long = sz.seqio.values_frame(explanation)
    assert list(long.columns[:3]) == ["id", "position", "output"]
    second = long[(long["id"] == "2") & (long["output"] == "G")]
    assert_allclose(second["value"], explanation.values[1, :, 0])
    wide = sz.seqio.values_frame(explanation, layout="wide")
    assert_allclose(wide["A1:pos1"], explanation.values[:, 0, 1])


def test_interaction_tables_name_positions_from_one_with_their_letters(tmp_path):
    explainer = _explainer()
    interactions = explainer.interactions(["ACGCTT", "TTGCAA"], index="FSII", order=2)
    long = sz.seqio.interactions_frame(interactions, ids=["a", "b"])
    pair = long[(long["id"] == "b") & (long["positions"] == "3,4")]
    assert list(pair["letters"]) == ["GC"] and list(pair["label"]) == ["g3 x g4"]
    assert_allclose(pair["value"], interactions.get((2, 3))[1:])
    wide = sz.seqio.interactions_frame(interactions, layout="wide")
    assert_allclose(wide[interactions.labels].to_numpy(), interactions.values)
    assert_allclose(wide["base_value"], interactions.base_values)
    sz.write_interactions(tmp_path / "pairs.csv", interactions, ids=["a", "b"])
    assert_allclose(pd.read_csv(tmp_path / "pairs.csv")["value"], long["value"])
    frame = interactions.to_pandas(ids=["a", "b"])
    assert set(frame["sequence"]) == {"a", "b"}
