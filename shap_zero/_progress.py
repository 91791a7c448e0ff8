"""One progress-bar helper for every long loop of the library (tqdm, or nothing)."""

from __future__ import annotations

from typing import Any

__all__ = ["progress_bar"]


class _Silent:
    """Stands in for a tqdm bar when progress is off."""

    def update(self, count: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


def progress_bar(enabled: bool, *, total: int | None, description: str, unit: str = "it", initial: int = 0) -> Any:
    """A tqdm bar when ``enabled``, else an object with the same methods that draws nothing.

    ``smoothing=0`` makes the rate (and so the ETA) the average since the start, which
    does not swing with the first few updates.
    """
    if not enabled:
        return _Silent()
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=description, unit=unit, smoothing=0.0)
