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


@pytest.fixture
def seed() -> int:
    """The base seed of randomized tests (env SHAP_ZERO_TEST_SEED, default 0)."""
    return int(os.environ.get("SHAP_ZERO_TEST_SEED", "0"))


@pytest.fixture
def rng(seed: int) -> np.random.Generator:
    """A fresh generator per test, derived from the base seed."""
    return np.random.default_rng(seed)
