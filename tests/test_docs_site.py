"""The documentation site builds offline, with warnings as errors, and its gallery runs.

The build is what CI checks: a broken cross-reference (a link to a missing page or
heading), a docstring that docutils cannot read, or an example in ``examples/`` that
raises fails it. The last test shows that the configuration really fails on those.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import shap_zero as sz

ROOT = Path(__file__).resolve().parent.parent
NEEDED = ("sphinx", "myst_parser", "sphinx_gallery", "numpydoc", "pydata_sphinx_theme")
MISSING = [name for name in NEEDED if importlib.util.find_spec(name) is None]
needs_sphinx = pytest.mark.skipif(bool(MISSING), reason=f"the docs extra is not installed (missing {MISSING})")
#: Public names documented as constants in prose rather than by autosummary.
CONSTANTS = {"__version__", "DNA", "RNA", "PROTEIN", "ENGINES", "INDEX_NAMES"}


def _build(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-q", "-b", "html", str(source), str(out)],
        capture_output=True, text=True, cwd=source, env={**__import__("os").environ, "MPLBACKEND": "Agg"},
    )  # fmt: skip


def test_reference_lists_every_public_name():
    text = (ROOT / "docs" / "reference.rst").read_text()
    listed = set(re.findall(r"^   (\w+)$", text, flags=re.M))
    assert set(sz.__all__) - CONSTANTS <= listed
    for name in CONSTANTS - {"__version__"}:
        assert f"shap_zero.{name}" in text
    assert set(sz.plots.__all__) <= listed


@needs_sphinx
def test_documentation_site_builds_without_warnings(tmp_path):
    result = _build(ROOT / "docs", tmp_path / "html")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    site = tmp_path / "html"
    for page in ("index", "quickstart", "user-guide", "engines", "math", "reference", "auto_examples/index"):
        assert (site / f"{page}.html").is_file(), page
    for name in set(sz.__all__) - CONSTANTS:
        assert (site / "generated" / f"shap_zero.{name}.html").is_file(), name
    examples = sorted(path.stem for path in (ROOT / "examples").glob("plot_*.py"))
    assert examples
    for example in examples:
        page = (site / "auto_examples" / f"{example}.html").read_text()
        assert f"sphx_glr_{example}_001.png" in page, f"{example} drew no figure"


@needs_sphinx
@pytest.mark.parametrize("fault", ["broken link", "example raises"])
def test_the_site_build_fails_on_broken_references_and_failing_examples(tmp_path, fault):
    docs, examples = tmp_path / "docs", tmp_path / "examples"
    docs.mkdir()
    examples.mkdir()
    shutil.copy(ROOT / "docs" / "conf.py", docs / "conf.py")
    (examples / "README.txt").write_text("Examples\n========\n")
    link = "[a page that is not there](no-such-page.md)" if fault == "broken link" else "fine"
    (docs / "index.md").write_text(f"# Test\n\n{link}\n\n```{{toctree}}\nauto_examples/index\n```\n")
    body = "raise RuntimeError('this example fails')" if fault == "example raises" else "print('ok')"
    (examples / "plot_one.py").write_text(f'"""\nOne\n===\n\nAn example.\n"""\n\n{body}\n')
    result = _build(docs, tmp_path / "html")
    assert result.returncode != 0
    expected = "no-such-page.md" if fault == "broken link" else "this example fails"
    assert expected in result.stdout + result.stderr
