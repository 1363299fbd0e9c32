"""Compiled (numba) forward and backward of the whole HadamRNN time loop.

Layout: time first, batch last, ``(T, features, B)``, so that every inner loop
runs over the batch with unit stride and vectorizes; the butterfly stages of the
fast Walsh-Hadamard transform then are whole-row additions.

One call computes, for all steps, the input product ``U x_t``, the recurrence
(FWHT, sign and ``1/sqrt(m)`` factor, bias, rounding and symmetric saturation to
the state format, or nothing of that in float mode) and the readout
``V relu(h_t) + c``.  The backward pass is hand-written BPTT through the
straight-through estimators.  Nothing of size ``(T, B, n)`` is kept in float64:
the states are stored in the work dtype (float32 when the FWHT stage widths fit
24 bits, see :func:`work_dtype`) and the clamp mask in uint8.

Exactness: in hardware-exact mode every value the forward pass computes is an
integer multiple of a power of two well inside float64's 53 bits (the IR refuses
wider datapaths), so each sum and product is exact whatever its order; the
forward kernel is compiled without fast-math all the same.  The backward
kernel's sums (gradients, not on any grid) may be reassociated for speed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: the largest signed width whose integers float32 holds exactly (24-bit significand)
FLOAT32_EXACT_BITS = 24

_blas_threads: list[int] = []


def limit_blas_threads(count: int) -> None:
    """Let the BLAS behind the kernels' small matrix products (scipy's, which
    numba's ``np.dot`` calls) use ``count`` threads, like torch."""
    if _blas_threads == [count]:
        return
    import scipy.linalg.cython_blas  # noqa: F401  (load it, so that the limit applies)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=count, user_api="blas")
    _blas_threads[:] = [count]


def work_dtype(state_bits: int, log2_block: int, quantized: bool) -> np.dtype:
    """The cheapest exact dtype for the state and the FWHT stages.

    The last butterfly stage is ``S + log2 m`` bits wide (``datapath_widths``'s
    ``stages[-1]``); float32 holds it exactly when that is at most 24 bits.
    The float-state mode computes in float32, as the paper did.
    """
    if not quantized or state_bits + log2_block <= FLOAT32_EXACT_BITS:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


@njit(cache=True)
def _fwht_rows(z, block):  # pragma: no cover - compiled
    """In place: ``(I (x) S_block)`` along axis 0 of ``z`` (rows of length B).

    Two butterfly stages per pass over the rows (radix 4; the same additions in
    the same order as two radix-2 stages), a last radix-2 stage when log2(block)
    is odd: the (n, B) array is read and written half as often."""
    n, nb = z.shape
    hh = 1
    while 2 * hh < block:
        for s in range(0, n, 4 * hh):
            for k in range(s, s + hh):
                for j in range(nb):
                    a = z[k, j]
                    b = z[k + hh, j]
                    c = z[k + 2 * hh, j]
                    d = z[k + 3 * hh, j]
                    ab = a + b
                    a_b = a - b
                    cd = c + d
                    c_d = c - d
                    z[k, j] = ab + cd
                    z[k + hh, j] = a_b + c_d
                    z[k + 2 * hh, j] = ab - cd
                    z[k + 3 * hh, j] = a_b - c_d
        hh *= 4
    if hh < block:
        for s in range(0, n, 2 * hh):
            for k in range(s, s + hh):
                for j in range(nb):
                    a = z[k, j]
                    b = z[k + hh, j]
                    z[k, j] = a + b
                    z[k + hh, j] = a - b


@njit(cache=True)
def forward_kernel(x, u, b, rec, v, c, block, up, down, half, smax, quant, every, keep,
                   hs, mask, y):  # pragma: no cover - compiled
    """x (T, d, B); u (n, d); b, rec (n,); v (o, n); c (o,).

    Writes the states to ``hs`` ((T, n, B) if ``keep`` else (2, n, B)), the clamp
    mask to ``mask`` ((T, n, B) uint8, only when ``quant and keep``) and the
    logits to ``y`` ((T, o, B) if ``every`` else (1, o, B)).  The input and
    readout products of a step are small matrix products (BLAS): exact, as every
    partial sum is on the grid.
    """
    steps, d, nb = x.shape
    n = u.shape[0]
    o = v.shape[0]
    f = np.zeros((n, nb), hs.dtype)
    hp = np.empty((n, nb), y.dtype)
    for t in range(steps):
        cur = t if keep else t & 1
        if t > 0:
            prev = t - 1 if keep else (t - 1) & 1
            for i in range(n):
                for j in range(nb):
                    f[i, j] = hs[prev, i, j]
            _fwht_rows(f, block)
        a = np.dot(u, x[t])  # (n, B): U x_t
        for i in range(n):
            bi = b[i]
            r = rec[i]
            if quant:
                for j in range(nb):
                    q = np.floor(((a[i, j] + bi) + f[i, j] * r) * up + half)
                    if keep:
                        mask[t, i, j] = 1 if abs(q) <= smax else 0
                    q = min(max(q, -smax), smax)
                    hs[cur, i, j] = q * down
            else:
                for j in range(nb):
                    hs[cur, i, j] = (a[i, j] + bi) + f[i, j] * r
        if every or t == steps - 1:
            ty = t if every else 0
            for i in range(n):
                for j in range(nb):
                    hv = hs[cur, i, j]
                    hp[i, j] = hv if hv > 0 else 0
            yt = np.dot(v, hp)  # (o, B): V relu(h_t)
            for k in range(o):
                ck = c[k]
                for j in range(nb):
                    y[ty, k, j] = yt[k, j] + ck


@njit(cache=True, fastmath={"reassoc", "contract"})
def backward_kernel(x, u, rec, v, hs, mask, gy, ghs, has_ghs, quant, every, block, want_gx,
                    gx, gu, gb, grec, gv, gc):  # pragma: no cover - compiled
    """BPTT of :func:`forward_kernel` (run with ``keep``); accumulates into the
    gradient arrays gx (T, d, B), gu (n, d), gb, grec (n,), gv (o, n), gc (o,)."""
    steps, d, nb = x.shape
    n = u.shape[0]
    o = v.shape[0]
    g = np.zeros((n, nb), gy.dtype)
    carry = np.zeros((n, nb), gy.dtype)
    hp = np.empty((n, nb), gy.dtype)
    f = np.empty((n, nb), hs.dtype)
    vt = np.ascontiguousarray(v.T)
    ut = np.ascontiguousarray(u.T)
    for t in range(steps - 1, -1, -1):
        if has_ghs:
            for i in range(n):
                for j in range(nb):
                    g[i, j] = ghs[t, i, j] + carry[i, j]
        else:
            for i in range(n):
                for j in range(nb):
                    g[i, j] = carry[i, j]
        if every or t == steps - 1:
            gyt = gy[t if every else 0]
            for k in range(o):
                s = 0.0
                for j in range(nb):
                    s += gyt[k, j]
                gc[k] += s
            gr = np.dot(vt, gyt)  # (n, B): V^T dL/dy_t
            for i in range(n):
                for j in range(nb):
                    hv = hs[t, i, j]
                    hp[i, j] = hv if hv > 0 else 0
                    if hv > 0:
                        g[i, j] += gr[i, j]
            gv += np.dot(gyt, hp.T)
        if quant:
            for i in range(n):
                for j in range(nb):
                    if mask[t, i, j] == 0:
                        g[i, j] = 0.0
        if t > 0:
            for i in range(n):
                for j in range(nb):
                    f[i, j] = hs[t - 1, i, j]
            _fwht_rows(f, block)
            for i in range(n):
                s = 0.0
                for j in range(nb):
                    s += g[i, j] * f[i, j]
                grec[i] += s
        for i in range(n):
            s = 0.0
            for j in range(nb):
                s += g[i, j]
            gb[i] += s
        gu += np.dot(g, x[t].T)
        if want_gx:
            gx[t] += np.dot(ut, g)
        for i in range(n):
            r = rec[i]
            for j in range(nb):
                carry[i, j] = g[i, j] * r
        _fwht_rows(carry, block)


@njit(cache=True)
def cross_entropy_kernel(y, target, grad, pred):  # pragma: no cover - compiled
    """Mean cross-entropy of logits ``y`` (T, o, B) against ``target`` (B, T);
    writes d loss / d y to ``grad`` (T, o, B) and the arg-max class to ``pred``
    (B, T); returns the loss."""
    steps, o, nb = y.shape
    total = 0.0
    scale = 1.0 / (steps * nb)
    m = np.empty(nb, y.dtype)
    z = np.empty(nb, y.dtype)
    for t in range(steps):
        for j in range(nb):
            m[j] = y[t, 0, j]
            pred[j, t] = 0
        for k in range(1, o):
            for j in range(nb):
                if y[t, k, j] > m[j]:
                    m[j] = y[t, k, j]
                    pred[j, t] = k
        for j in range(nb):
            z[j] = 0.0
        for k in range(o):
            for j in range(nb):
                e = np.exp(y[t, k, j] - m[j])
                grad[t, k, j] = e
                z[j] += e
        for j in range(nb):
            c = target[j, t]
            total += (np.log(z[j]) + m[j]) - y[t, c, j]
            inv = scale / z[j]
            for k in range(o):
                grad[t, k, j] *= inv
            grad[t, c, j] -= scale
    return total * scale
