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

#: Largest q^n of a dense transform (all sequences enumerated): n = 11 at q = 4.
MAX_DENSE_SIZE = 4**11
