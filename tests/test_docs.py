"""Every ```python block of README.md and docs/*.md runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _blocks():
    for page in PAGES:
        for number, block in enumerate(BLOCK.findall(page.read_text())):
            yield pytest.param(block, id=f"{page.relative_to(ROOT)}#{number}")


@pytest.mark.parametrize("code", list(_blocks()))
def test_documentation_example_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files
    exec(compile(code, "<doc>", "exec"), {"__name__": "__doc_example__"})


def test_docstring_examples_run():
    import doctest

    import shap_zero
    import shap_zero.alphabet
    import shap_zero.explainer
    import shap_zero.fourier
    import shap_zero.models

    for module in (shap_zero, shap_zero.alphabet, shap_zero.fourier, shap_zero.explainer, shap_zero.models):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__
