"""Shared fixtures: a seed that is fixed by default and can be overridden.

Set SHAP_ZERO_TEST_SEED to run the randomized tests with another seed; every test
promises to pass for any seed.

The hypothesis fuzzing tests draw fresh examples on every local run (and remember
failures in .hypothesis/); under CI (``CI`` set) they are derandomized, so that a run
is reproducible and a red CI run names an example anyone can replay.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

try:
    from hypothesis import settings as _hypothesis_settings
except ImportError:  # the fuzzing tests skip without hypothesis
    _hypothesis_settings = None

if _hypothesis_settings is not None:
    _hypothesis_settings.register_profile("ci", derandomize=True, database=None)
    if os.environ.get("CI"):
        _hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="session")
def seed() -> int:
    """The base seed of randomized tests (env SHAP_ZERO_TEST_SEED, default 0).

    Session-scoped (it is a constant), so that module-scoped fixtures can use it too.
    """
    return int(os.environ.get("SHAP_ZERO_TEST_SEED", "0"))


@pytest.fixture
def rng(seed: int) -> np.random.Generator:
    """A fresh generator per test, derived from the base seed."""
    return np.random.default_rng(seed)


#: The tests that exercise the numba kernels, by module: None means every test of the
#: module, else the test names (parametrisations included). They get the ``kernels``
#: marker here, in one place, and tests/test_kernels_as_python.py runs them again with
#: NUMBA_DISABLE_JIT=1, so that the kernels' Python source is executed and covered.
KERNEL_TESTS: dict[str, frozenset[str] | None] = {
    "test_blocks.py": None,
    "test_design.py": None,
    "test_dispatch.py": None,
    "test_fourier.py": None,
    "test_attribution.py": None,
    "test_qsft.py": frozenset({
        "test_low_degree_frequencies_match_an_enumeration_of_all_frequencies",
        "test_bin_tests_match_a_direct_evaluation",
        "test_aliased_transforms_obey_the_aliasing_identity",
        "test_block_transforms_match_numpy_fftn",
        "test_distinct_detections_match_a_dictionary",
        "test_confirm_detections_match_the_rule_in_numpy",
        "test_separable_gram_matches_a_dense_solve",
        "test_bin_domain_refit_equals_least_squares_on_all_samples",
        "test_nested_samples_are_the_outputs_of_the_nested_design",
    }),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.path.name
        if module in KERNEL_TESTS:
            names = KERNEL_TESTS[module]
            if names is None or item.originalname in names:
                item.add_marker(pytest.mark.kernels)
