"""The q-SFT query design: subsampling matrices, delays and the set of query points.

For C subsampling groups with matrices ``M_c`` in Z_q^(n x b) and P delay rows ``d_p``,
the model is queried on ``{M_c l + d_p mod q : l in Z_q^b}`` for every (c, p): C * P
blocks of q^b points (docs/sketching.md, How q-SFT works). The b-dimensional DFT of a block aliases the
spectrum into q^b bins, ``U_c[p, j] = sum_{k : M_c^T k = j} F[k] omega^<k, d_p>``.

Delays are the paper's noise-robust identity delays: R random offsets ``r_p``, each
followed by ``r_p - e_1, ..., r_p - e_n``, so P = R (n + 1).

Designs are nested: the points of a smaller b are the points of the larger design whose
last b_max - b coordinates of l are zero (the first b columns of every M_c), so budgets
can be swept without new queries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from shap_zero._config import MAX_GROUPS, MAX_Q
from shap_zero._kernels.design import (
    design_points,
    design_points_serial,
    first_appearance_unique,
    pack_rows,
    rank_mod_prime,
)
from shap_zero._kernels.dispatch import choose
from shap_zero._validation import check_int, check_random_state
from shap_zero.exceptions import InsufficientBudgetError, InvalidParameterError

__all__ = [
    "SubsamplingDesign",
    "draw_design",
    "design_size",
    "choose_design",
    "is_full_rank",
    "draw_matrix",
    "unique_rows",
]


def _prime_factors(q: int) -> list[int]:
    factors, candidate = [], 2
    while candidate * candidate <= q:
        if q % candidate == 0:
            factors.append(candidate)
            while q % candidate == 0:
                q //= candidate
        candidate += 1
    if q > 1:
        factors.append(q)
    return factors


def is_full_rank(matrix: np.ndarray, q: int) -> bool:
    """Whether ``l -> M l mod q`` is injective on Z_q^b for M of shape (n, b).

    Over the ring Z_q this holds exactly when M has full column rank modulo every prime
    factor of q. Then ``M^T`` maps Z_q^n onto Z_q^b and no bin is structurally empty.
    """
    matrix = np.asarray(matrix)
    matrix = np.ascontiguousarray(matrix, dtype=np.int64)
    return all(rank_mod_prime(matrix, p) == matrix.shape[1] for p in _prime_factors(q))


def _prime_powers(q: int) -> list[tuple[int, int]]:
    """The factorisation of q as (p, p^a) pairs."""
    powers = []
    for p in _prime_factors(q):
        power = p
        while q % (power * p) == 0:
            power *= p
        powers.append((p, power))
    return powers


def _crt_basis(q: int, moduli: list[int]) -> list[int]:
    """Integers e_i with e_i = 1 mod m_i and 0 mod the other moduli (Chinese remainders)."""
    basis = []
    for m in moduli:
        others = q // m
        basis.append(next(x for x in range(0, q, others) if x % m == 1))
    return basis


def draw_matrix(n: int, q: int, b: int, rng: np.random.Generator) -> np.ndarray:
    """A random M in Z_q^(n x b) whose rows are nonzero and distinct modulo every prime p of q.

    Over Z_q with q composite, frequencies that differ by a multiple of q/p alias with
    probability p^-b instead of q^-b (for q = 4, all k with entries in {0, 2} share 2^b
    bins). Rows that are nonzero and pairwise distinct mod p make ``M^T v != 0 mod p``
    for every v with one or two entries not divisible by p, so two frequencies that
    differ in at most two positions never share a bin. Rows are distinct when
    n <= p^b - 1 and only nonzero otherwise; modulo each prime power the rest of M is
    uniform (by the Chinese remainder theorem, independently per prime power).

    Returns
    -------
    ndarray of shape (n, b), int64
    """
    powers = _prime_powers(q)
    basis = _crt_basis(q, [power for _, power in powers])
    matrix = np.zeros((n, b), dtype=np.int64)
    for (p, power), unit in zip(powers, basis):
        n_classes = p**b - 1
        if n <= n_classes:
            classes = rng.choice(n_classes, size=n, replace=False) + 1
        else:
            classes = rng.integers(1, n_classes + 1, size=n)
        digit_weights = p ** np.arange(b - 1, -1, -1)
        residues = (classes[:, None] // digit_weights[None, :]) % p  # rows mod p
        lifted = residues + p * rng.integers(0, power // p, size=(n, b))  # uniform mod p^a above them
        matrix = (matrix + unit * lifted) % q
    return matrix


def unique_rows(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a uint8 array and, for every row, the index of its distinct row.

    Parameters
    ----------
    points : ndarray of shape (M, n), uint8

    Returns
    -------
    unique : ndarray of shape (U, n), uint8
        Distinct rows, in order of first appearance.
    inverse : ndarray of shape (M,), int64
        ``points == unique[inverse]``.
    """
    points = np.ascontiguousarray(points, dtype=np.uint8)
    if points.shape[0] == 0:
        return points.copy(), np.zeros(0, dtype=np.int64)
    n = points.shape[1]
    bits = max(int(points.max()), 1).bit_length()
    if n * bits <= 64 and points.shape[0] < 2**31:  # the hash table holds int32 ids
        # Rows packed into integers, de-duplicated by hashing: O(M), no sort.
        keys = np.empty(points.shape[0], dtype=np.uint64)
        pack_rows(points, bits, keys)
        first = np.empty(points.shape[0], dtype=np.int64)
        inverse = np.empty(points.shape[0], dtype=np.int64)
        count = first_appearance_unique(keys, first, inverse)
        return np.take(points, first[:count], axis=0), inverse  # take: 4x faster than fancy indexing on rows
    keys = points.view(np.dtype((np.void, n))).reshape(-1)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    # Renumber the distinct rows by first appearance so the query order is stable.
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return points[first[order]], rank[inverse.reshape(-1)].astype(np.int64)


def design_size(n: int, q: int, b: int, n_groups: int, n_repeats: int) -> int:
    """Number of query points of a design before de-duplication: C * R * (n + 1) * q^b."""
    return n_groups * n_repeats * (n + 1) * q**b


def choose_design(
    budget: int, n: int, q: int, *, n_groups: int | None = None, n_repeats: int | None = None, fill: bool = True
) -> tuple[int, int, int]:
    """The design (b, C, R) that spends the most of a budget.

    Among b >= 1 and C, R in 1..3 (the paper's C = R = 3 at most), the design with the
    most query points that fit wins, among those with at least two groups whenever one
    fits; ties go to the larger b, then to more groups. Then, unless C is given, groups
    are added at that b and R while whole groups still fit (up to :data:`MAX_GROUPS`):
    at large q one step of b multiplies the design by q, so C = R = 3 at the largest b
    can leave most of the budget unspent, and more groups give the peeling decoder more
    bins in which to find each term. So
    at q = 20, n = 25 and 1,000,000 queries this is b = 3 with C = R = 2 (832,000 points),
    not b = 2 with C = R = 3 (93,600); at q = 20, n = 24 and 250,000 queries it is b = 2
    with C = 8, R = 3 (240,000 points, not 90,000); at the paper's TIGER budget it is the
    paper's b = 7, C = R = 3. One group is never chosen when two fit: with one, a
    multiton has no other group to be peeled in (measured in docs/sketching.md).

    Parameters
    ----------
    budget : int
        Maximum number of query points (before de-duplication).
    n, q : int
    n_groups, n_repeats : int, optional
        Fix C or R instead of choosing them.
    fill : bool, default True
        Add groups to spend the budget (above). The auto engine passes False: what its
        q-SFT share leaves goes to its random sequences, which serve real models better.

    Returns
    -------
    (b, C, R)

    Raises
    ------
    InsufficientBudgetError
        With the minimum budget for this n and q.
    """
    budget = check_int(budget, name="budget", minimum=1)
    group_options = [n_groups] if n_groups is not None else [3, 2, 1]
    repeat_options = [n_repeats] if n_repeats is not None else [3, 2, 1]
    best: tuple[int, int, int, int, int] | None = None  # (min(C, 2), points, b, C, R)
    for groups in group_options:
        for repeats in repeat_options:
            per_bin = design_size(n, q, 0, groups, repeats)
            if per_bin * q > budget:
                continue
            b = min(n, int(math.floor(math.log(budget / per_bin, q) + 1e-12)))
            while b > 1 and design_size(n, q, b, groups, repeats) > budget:
                b -= 1
            # Two groups at least whenever they fit: with one, a multiton has no other
            # group to be peeled in, and decoding degrades sharply.
            candidate = (min(groups, 2), design_size(n, q, b, groups, repeats), b, groups, repeats)
            if best is None or candidate > best:
                best = candidate
    if best is not None:
        _, _, b, groups, repeats = best
        if fill and n_groups is None and groups >= 2:
            groups = max(groups, min(MAX_GROUPS, budget // design_size(n, q, b, 1, repeats)))
        return b, groups, repeats
    minimum = design_size(n, q, 1, group_options[-1], repeat_options[-1])
    raise InsufficientBudgetError(
        f"budget={budget} is below the smallest q-SFT design for n={n}, q={q}: "
        f"b=1 with C={group_options[-1]} group(s) and R={repeat_options[-1]} delay repeat(s) needs "
        f"{minimum} queries (C * R * (n + 1) * q^b). With the defaults C=R=3, b=1 needs "
        f"{design_size(n, q, 1, 3, 3)}."
    )


@dataclass(frozen=True, eq=False)
class SubsamplingDesign:
    """A drawn q-SFT design.

    Attributes
    ----------
    n, q, b : int
        Sequence length, alphabet size, and bins per group as q^b.
    matrices : ndarray of shape (C, n, b), uint8
        The subsampling matrices M_c, each of full column rank over Z_q.
    delays : ndarray of shape (P, n), uint8
        Delay rows, P = R (n + 1): for each offset r, the rows r, r - e_1, ..., r - e_n.
    offsets : ndarray of shape (R, n), uint8
        The random offsets r.
    """

    n: int
    q: int
    b: int
    matrices: np.ndarray
    delays: np.ndarray
    offsets: np.ndarray

    @property
    def n_groups(self) -> int:
        """Number C of subsampling groups."""
        return int(self.matrices.shape[0])

    @property
    def n_repeats(self) -> int:
        """Number R of delay offsets."""
        return int(self.offsets.shape[0])

    @property
    def n_delays(self) -> int:
        """Number P of delay rows."""
        return int(self.delays.shape[0])

    def n_points(self, b: int | None = None) -> int:
        """Query points (before de-duplication) of the design at ``b`` (default: its own)."""
        b = self.b if b is None else b
        return design_size(self.n, self.q, b, self.n_groups, self.n_repeats)

    def lattice(self, b: int | None = None) -> np.ndarray:
        """All l in Z_q^b in C order (first coordinate most significant), shape (q^b, b_max).

        Coordinates beyond ``b`` are zero, so the same M gives the nested design.
        """
        b = self._check_b(b)
        codes = np.arange(self.q**b, dtype=np.int64)
        lattice = np.zeros((self.q**b, self.b), dtype=np.int64)
        for t in range(b):
            lattice[:, t] = (codes // self.q ** (b - 1 - t)) % self.q
        return lattice

    def block(self, group: int, delay: int, b: int | None = None) -> np.ndarray:
        """Query points ``M_c l + d_p mod q`` of one block, shape (q^b, n), uint8."""
        lattice = self.lattice(b)
        points = (lattice @ self.matrices[group].astype(np.int64).T + self.delays[delay]) % self.q
        return points.astype(np.uint8)

    def points(self, b: int | None = None) -> np.ndarray:
        """All query points, block by block (group-major, then delay), shape (C * P * q^b, n).

        Row ``(c * P + p) * q^b + index(l)`` is ``M_c l + d_p``.
        """
        b = self._check_b(b)
        out = np.empty((self.n_groups, self.n_delays, self.q**b, self.n), dtype=np.uint8)
        matrices = np.ascontiguousarray(self.matrices, dtype=np.int64)
        delays = np.ascontiguousarray(self.delays, dtype=np.int64)
        kernel = choose(design_points, design_points_serial, out.size)
        kernel(matrices, delays, self.q, b, out)
        return out.reshape(-1, self.n)

    def _check_b(self, b: int | None) -> int:
        if b is None:
            return self.b
        return check_int(b, name="b", minimum=1, maximum=self.b)


def draw_design(
    n: int,
    q: int,
    b: int,
    *,
    n_groups: int = 3,
    n_repeats: int = 3,
    random_state: Any = None,
    max_attempts: int = 100,
) -> SubsamplingDesign:
    """Draw a design from one random generator: C full-rank matrices, then R offsets.

    Parameters
    ----------
    n, q, b : int
        Sequence length, alphabet size and log_q of the bins per group (1 <= b <= n).
    n_groups : int, default 3
        C.
    n_repeats : int, default 3
        R.
    random_state : None, int or numpy.random.Generator
    max_attempts : int
        Redraws allowed per matrix before giving up on full rank.

    Returns
    -------
    SubsamplingDesign
    """
    n = check_int(n, name="n", minimum=1)
    q = check_int(q, name="q", minimum=2, maximum=MAX_Q)
    b = check_int(b, name="b", minimum=1, maximum=n)
    n_groups = check_int(n_groups, name="n_groups", minimum=1)
    n_repeats = check_int(n_repeats, name="n_repeats", minimum=1)
    rng = check_random_state(random_state)
    matrices = np.empty((n_groups, n, b), dtype=np.uint8)
    for c in range(n_groups):
        for _ in range(max_attempts):
            candidate = draw_matrix(n, q, b, rng)
            if is_full_rank(candidate, q):
                matrices[c] = candidate
                break
        else:  # pragma: no cover - probability ~ (1/p)^(n-b+1) per attempt
            raise InvalidParameterError(
                f"could not draw a full-rank {n} x {b} matrix over Z_{q} in {max_attempts} attempts"
            )
    offsets = rng.integers(0, q, size=(n_repeats, n)).astype(np.int64)
    unit = np.vstack([np.zeros((1, n), dtype=np.int64), np.eye(n, dtype=np.int64)])  # [0; I_n]
    delays = ((offsets[:, None, :] - unit[None, :, :]) % q).reshape(-1, n).astype(np.uint8)
    return SubsamplingDesign(n=n, q=q, b=b, matrices=matrices, delays=delays, offsets=offsets.astype(np.uint8))
