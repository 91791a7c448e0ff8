"""Run a checkpointed query campaign that dies hard (os._exit) partway; for tests/test_queries.py.

Usage: python _queries_crash.py POINTS.npy CHECKPOINT BATCH_SIZE CRASH_AT_BATCH {serial,threads}

The model exits the whole process, without cleanup, when it is called on batch
CRASH_AT_BATCH, like a job killed by the scheduler or the OOM killer.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _queries_models import row_id, smooth_model  # noqa: E402

from shap_zero.sketch.queries import run_queries  # noqa: E402


def main() -> None:
    points_path, checkpoint, batch_size, crash_at, mode = sys.argv[1:]
    points = np.load(points_path)
    batch_size, crash_at = int(batch_size), int(crash_at)

    def dying_model(codes: np.ndarray) -> np.ndarray:
        first = int(row_id(codes[:1])[0])  # points come from numbered_points
        if first // batch_size == crash_at:
            os._exit(1)
        return smooth_model(codes)

    if mode == "threads":
        with ThreadPoolExecutor(max_workers=2) as pool:
            run_queries(dying_model, points, batch_size=batch_size, executor=pool, checkpoint=checkpoint)
    else:
        run_queries(dying_model, points, batch_size=batch_size, checkpoint=checkpoint)
    sys.exit(3)  # not reached: the model exits first


if __name__ == "__main__":
    main()
