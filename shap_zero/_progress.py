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


def _rate_after_warm_up(tqdm_class: type) -> type:
    """A subclass of ``tqdm_class`` whose rate, and so its ETA, leaves out the first update.

    The first batch of model queries carries one-off costs (worker processes starting,
    a framework's first call, kernels compiling): counted in the average rate, they made
    the demo's first ETA 1 h 05 min for a job of about 5 minutes. This bar measures its
    rate from the first update on, so its ETA shows "?" until a second update gives a
    steady rate; the elapsed time still counts from the start.
    """

    class RateAfterWarmUp(tqdm_class):  # type: ignore[misc, valid-type]
        warm_n: float | None = None
        warm_t: float = 0.0

        def update(self, n: float | None = 1) -> bool | None:
            if self.warm_n is None:
                self.warm_n, self.warm_t = self.n + (n or 0), self._time()
            return super().update(n)

        @property
        def format_dict(self) -> dict[str, Any]:
            values = super().format_dict
            if self.warm_n is None:
                values["rate"], values["initial"] = None, self.n  # no rate before the first update
            else:
                seconds = self._time() - self.warm_t
                values["rate"] = (self.n - self.warm_n) / seconds if seconds > 0 and self.n > self.warm_n else None
                if values["rate"] is None:
                    values["initial"] = self.n  # tqdm would otherwise average from the start
            return values

    return RateAfterWarmUp


def progress_bar(
    enabled: bool,
    *,
    total: int | None,
    description: str,
    unit: str = "it",
    initial: int = 0,
    warm_up: bool = False,
) -> Any:
    """A tqdm bar when ``enabled``, else an object with the same methods that draws nothing.

    ``smoothing=0`` makes the rate (and so the ETA) the average since the start, which
    does not swing with the first few updates. With ``warm_up=True`` the time to the
    first update is left out of that average (for loops whose first step carries
    one-off costs, such as the first batch of model queries).
    """
    if not enabled:
        return _Silent()
    from tqdm.auto import tqdm

    bar_class = _rate_after_warm_up(tqdm) if warm_up else tqdm
    return bar_class(total=total, initial=initial, desc=description, unit=unit, smoothing=0.0)
