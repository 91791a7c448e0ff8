"""Numerical and performance defaults, in one place.

Kernels never read these: drivers pass them in as arguments (numba freezes globals).
"""

from __future__ import annotations

#: Sequences per block in the blocked uniform-background kernels: the transposed
#: codes and the accumulators of one block stay in a core's cache.
BLOCK_ROWS = 1024

#: Sequences per kernel call in the attribution drivers: large enough to amortise
#: thread start-up, small enough for a responsive progress bar.
ROWS_PER_CHUNK = 1 << 16

#: Upper bound on the bytes of one chunk of intermediate Möbius coefficients, which
#: keeps working memory flat in the number of sequences.
MOBIUS_CHUNK_BYTES = 1 << 26

#: Largest term degree expanded over all subsets of its support (2^d) under a
#: non-uniform background.
MAX_MIXTURE_DEGREE = 16

#: Largest alphabet size q. Codes are uint8 and the alphabet's encoder reserves 255 for
#: "not a letter", so q <= 255 everywhere (sketches, designs, validators, the oracle).
MAX_Q = 255

#: Model queries of a sketching campaign when the user gives no budget.
DEFAULT_BUDGET = 1_000_000

#: Most subsampling groups C that :func:`shap_zero.sketch.design.choose_design` adds to
#: spend a budget (at q = 20 one step of b is 20x the queries).
MAX_GROUPS = 12

#: Largest q^n of a dense transform (all sequences enumerated): n = 11 at q = 4.
MAX_DENSE_SIZE = 4**11

# ---------------------------------------------------------------- q-SFT decoder
#: Below this fraction of the mean bin energy, energy counts as floating-point round-off.
RELATIVE_ENERGY_FLOOR = 1e-20
#: The noise floor is read off this quantile of the bin energies: pure noise if at least
#: this fraction of the bins hold no term; the quiet end of the tail for real models.
NOISE_QUANTILE = 0.1
#: Expected number of pure-noise bins, over all bins, that pass a bin test by chance.
FALSE_ALARM = 1e-2
#: A term over a tail is confirmed when every group's estimate of its coefficient is
#: within this fraction of their mean's magnitude.
AGREEMENT = 0.5
#: An estimated noise floor must fall by at least this factor to start another pass.
FLOOR_DECREASE = 0.8
#: Largest number of unknowns (candidate frequencies, k and -k counted apart) that the
#: low-degree completion tests jointly; it inverts their dense Gram matrix.
MAX_COMPLETION_COLUMNS = 4096
#: Completion runs only when the residual's mean bin energy is at most this multiple of
#: its median (pure noise: about 1; ViennaRNA and Rule Set 3 tails: 1.1 to 1.55; a few
#: missed strong terms in an overloaded design: 2.6 and far above).
DIFFUSE_RATIO = 2.0
#: Alphabets up to this size are transformed by the numba block DFT (butterflies for
#: q = 2 and 4, direct sums for q = 3); larger ones by scipy's FFT, whose O(log q) per
#: entry then beats the direct O(q) (measured: q = 3, 10x faster; q = 5 even; q = 8,
#: 1.6x slower).
MAX_BUTTERFLY_Q = 4
#: Largest number of refit columns (frequencies, both members of a pair) solved through
#: dense normal equations; larger supports use sparse matrices (a dense solve is O(S^3)).
DENSE_REFIT_MAX_COLUMNS = 512
