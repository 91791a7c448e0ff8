"""Run a checkpointed QSFT fit whose model kills the process partway; for tests/test_qsft.py.

Usage: python _qsft_crash.py CHECKPOINT SEED CRASH_AT_CALL

The model exits the whole process, without cleanup, on its call number CRASH_AT_CALL
(0-based), like a job killed by the scheduler.
"""

from __future__ import annotations

import os
import sys

import numpy as np

import shap_zero as sz

SEQ_LENGTH = 10
OPTIONS = {"b": 3, "n_repeats": 2, "batch_size": 256, "n_validation": 200}


def target(seed: int) -> sz.FourierSketch:
    """The model both the crashing and the resuming fit sketch."""
    return sz.random_sparse_sketch(SEQ_LENGTH, 4, 15, max_degree=3, random_state=seed)


def main() -> None:
    checkpoint, seed, crash_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    truth = target(seed)
    calls = 0

    def dying(X: np.ndarray) -> np.ndarray:
        nonlocal calls
        if calls == crash_at:
            os._exit(1)
        calls += 1
        return truth.predict(X)

    sz.QSFT(checkpoint=checkpoint, random_state=seed, **OPTIONS).fit(dying, seq_length=SEQ_LENGTH, alphabet=4)
    sys.exit(3)  # not reached: the model exits first


if __name__ == "__main__":
    main()
