"""Shared fixtures: a seed that is fixed by default and can be overridden.

Set SHAP_ZERO_TEST_SEED to run the randomized tests with another seed; every test
promises to pass for any seed.
"""

from __future__ import annotations

import os

import numpy as np
import pytest


@pytest.fixture
def seed() -> int:
    """The base seed of randomized tests (env SHAP_ZERO_TEST_SEED, default 0)."""
    return int(os.environ.get("SHAP_ZERO_TEST_SEED", "0"))


@pytest.fixture
def rng(seed: int) -> np.random.Generator:
    """A fresh generator per test, derived from the base seed."""
    return np.random.default_rng(seed)
