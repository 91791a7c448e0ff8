"""docs/api.md is generated from the docstrings and up to date; the docstrings match the code."""

from __future__ import annotations

import pytest

pytest.importorskip("numpydoc", reason="the API reference needs numpydoc (pip install numpydoc)")

import dataclasses  # noqa: E402
import difflib  # noqa: E402
import importlib.util  # noqa: E402
import inspect  # noqa: E402
from pathlib import Path  # noqa: E402

from numpydoc.docscrape import NumpyDocString  # noqa: E402

import shap_zero  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("build_api", ROOT / "docs" / "build_api.py")
build_api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_api)


@pytest.fixture(scope="module")
def generated():
    try:
        return build_api.build()
    except ModuleNotFoundError as error:  # e.g. shap_zero.plots without its optional dependency
        pytest.skip(f"cannot import everything the reference documents: {error}")


def _is_exception(obj):
    return inspect.isclass(obj) and issubclass(obj, BaseException)


def test_api_reference_is_up_to_date(generated):
    current = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    if current != generated:
        diff = difflib.unified_diff(current.splitlines(), generated.splitlines(), "docs/api.md", "generated",
                                    lineterm="", n=1)
        pytest.fail(
            "docs/api.md is out of date with the docstrings: run `python docs/build_api.py` and commit "
            "docs/api.md. First differences:\n" + "\n".join(list(diff)[:30]),
            pytrace=False,
        )


def test_every_public_name_is_documented():
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    missing, undocumented = [], []
    for name in shap_zero.__all__:
        if name == "__version__":
            continue
        obj = getattr(shap_zero, name)
        if f"### `shap_zero.{name}`" not in text:
            missing.append(name)
        if inspect.isclass(obj) or inspect.isroutine(obj):
            doc = build_api.own_doc(obj)
        else:
            doc = build_api.data_doc(name, obj)[1]
        summary = NumpyDocString(doc or "")["Summary"]
        if not summary:
            undocumented.append(name)
        elif _is_exception(obj) and build_api.inline(" ".join(summary)) not in " ".join(text.split()):
            missing.append(f"{name} (its summary line)")
    assert not missing, f"not in docs/api.md (run `python docs/build_api.py`): {missing}"
    assert not undocumented, f"public names without a docstring summary: {undocumented}"


def _documented(doc, sections):
    names = []
    for section in sections:
        for param in doc[section]:
            names += [part.strip().lstrip("*") for part in param.name.split(",") if part.strip()]
    return names


def _mismatch(label, sig, doc, sections, drop_first=False):
    """Describe how the documented parameter names differ from ``sig``, or return None."""
    params = list(sig.parameters.values())[1 if drop_first else 0:]
    expected = [p.name for p in params]
    documented = _documented(doc, sections)
    kwargs_documented = any(p.kind is p.VAR_KEYWORD and p.name in documented for p in params)
    optional = {p.name for p in params if p.kind is p.VAR_POSITIONAL and kwargs_documented}
    problems = []
    undocumented = [n for n in expected if n not in documented and n not in optional]
    unknown = [n for n in documented if n not in expected]
    duplicated = sorted({n for n in documented if documented.count(n) > 1})
    if undocumented:
        problems.append(f"undocumented {undocumented}")
    if unknown:
        problems.append(f"documented but not in the signature {unknown}")
    if duplicated:
        problems.append(f"documented twice {duplicated}")
    in_order = [n for n in expected if n in documented]
    if not problems and in_order != list(dict.fromkeys(documented)):
        problems.append(f"documented in the order {documented}, signature order is {in_order}")
    if problems and not doc[sections[0]] and expected:
        problems.insert(0, f"no {sections[0]!r} section")
    return f"{label}: " + "; ".join(problems) if problems else None


def _callables():
    """Yield (label, object, docstring, drop_first) for every documented function, class and method."""
    for _section, items in build_api.collect():
        for qualname, obj, doc in items:
            if _is_exception(obj) or not (inspect.isclass(obj) or inspect.isroutine(obj)):
                continue
            yield qualname, obj, doc, False
            if inspect.isclass(obj):
                for name, value in build_api.members(obj):
                    func = build_api.unwrap(value)
                    if func is not value and not isinstance(value, (classmethod, staticmethod)):
                        continue  # a property
                    yield f"{qualname}.{name}", func, build_api.own_doc(func), not isinstance(
                        value, staticmethod
                    )


def test_parameters_sections_match_signatures(generated):  # `generated`: skip like the others
    mismatches = []
    checked = 0
    for label, obj, doc_text, drop_first in _callables():
        try:
            sig = inspect.signature(obj)
        except (TypeError, ValueError):
            continue
        doc = NumpyDocString(doc_text)
        sections = ("Parameters", "Other Parameters")
        if inspect.isclass(obj):
            init_doc = build_api.own_doc(vars(obj).get("__init__"))
            if init_doc and NumpyDocString(init_doc)["Parameters"]:
                doc = NumpyDocString(init_doc)
            elif not doc["Parameters"] and (dataclasses.is_dataclass(obj) or hasattr(obj, "_fields")):
                sections = ("Attributes",)  # generated __init__: the fields are the attributes
        checked += 1
        problem = _mismatch(label, sig, doc, sections, drop_first)
        if problem:
            mismatches.append(problem)
    assert checked > 10
    assert not mismatches, "docstring parameters out of step with the code:\n" + "\n".join(mismatches)


def test_check_mode_reports_a_stale_reference(tmp_path, monkeypatch, capsys, generated):
    stale = tmp_path / "api.md"
    stale.write_text(generated.replace("# API reference", "# API reference (stale)"), encoding="utf-8")
    monkeypatch.setattr(build_api, "OUTPUT", stale)
    monkeypatch.setattr(build_api, "ROOT", tmp_path)
    assert build_api.main(["--check"]) == 1
    assert "python docs/build_api.py" in capsys.readouterr().out
    stale.write_text(generated, encoding="utf-8")
    assert build_api.main(["--check"]) == 0
