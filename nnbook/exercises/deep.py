"""Exercises of the chapter "Deep networks" (``deep.ex1`` ... ``deep.ex6``).

Initialisation scales, the product of sigmoid derivatives, and the three
normalisations, including the axis that source 003 gets wrong. Reference
solutions are in ``solutions/deep.py``; wrong answers are tested in
``tests/nnbook/test_exercises_deep.py``.
"""
import numpy as np

from .core import Case, Exercise, random_normal, register

__all__ = []


def _ex1_cases(rng):
    fans = [(64, 64), (784, 16), (1, 10), (300, 100), (3, 1000)]
    fans.append(tuple(int(v) for v in rng.integers(1, 2000, size=2)))
    return [Case(f"fan_in={a}, fan_out={b}", (a, b)) for a, b in fans]


register(Exercise(
    id="deep.ex1", kind="function", title="The Xavier (Glorot) standard deviation",
    answer_name="xavier_std", output="scalar", cases=_ex1_cases,
    statement=r"""
Write `xavier_std(fan_in, fan_out)` returning the **standard deviation** $\sigma$ of the
normal Xavier/Glorot initialisation of a layer with `fan_in` inputs and `fan_out` outputs,
the compromise between keeping the variance of the signal on the way forward
($n_\text{in}\sigma^2 = 1$) and of the gradient on the way back ($n_\text{out}\sigma^2 = 1$).

- `fan_in`, `fan_out`: positive Python integers;
- return one number (a float), computed rather than rounded: the check accepts a relative error up
  to $10^{-7}$.
""",
    hints=(
        "Glorot and Bengio set the variance to the harmonic-mean-like compromise between 1/n_in and 1/n_out.",
        "The variance is 2 / (n_in + n_out). The exercise asks for the standard deviation.",
        "`return (2.0 / (fan_in + fan_out)) ** 0.5`.",
    ),
))


register(Exercise(
    id="deep.ex2", kind="value", title="The largest product of ten sigmoid derivatives",
    answer_name="bound", reference="bound", rtol=1e-3, atol=0.0,
    statement=r"""
A chain of 10 sigmoid units with all weights equal to 1 multiplies the gradient that flows
back through it by $\prod_{\ell=1}^{10} \sigma'(z_\ell)$. What is the **largest** value this
product can take, whatever the $z_\ell$ (the biases can put each $z_\ell$ anywhere)? Set `bound` to that number (a float), to at least
3 significant digits: the check accepts a relative error up to $10^{-3}$ (so `9.54e-7` is
accepted, and an exact expression such as `0.25 ** 10` too).
""",
    hints=(
        "Where is the sigmoid's derivative largest, and what is its value there?",
        "σ'(z) = σ(z)(1 − σ(z)) is at most 1/4, reached at z = 0. Ten factors, each at most 1/4...",
        "`bound = 0.25 ** 10` (about 9.537e-7).",
    ),
))


def _ex3_cases(rng):
    const = np.vstack([np.full(5, 3.0), random_normal(rng, 5)])
    return [
        Case("normal (N, D)", (random_normal(rng, 4, 6), 1e-5)),
        Case("batch of one", (random_normal(rng, 1, 5, loc=2.0), 1e-5)),
        Case("square (N = D)", (random_normal(rng, 5, 5, scale=3.0), 1e-5)),
        Case("(N, L, D): three axes", (random_normal(rng, 2, 3, 4), 1e-5)),
        Case("large eps", (random_normal(rng, 4, 6, scale=0.3), 0.1)),
        Case("a constant row", (const, 1e-5)),
        Case("float32", (random_normal(rng, 3, 8, dtype=np.float32), 1e-5)),
    ]


register(Exercise(
    id="deep.ex3", forbids=('nnlib.norm.LayerNorm.forward',), kind="function", title="LayerNorm's forward pass",
    answer_name="layer_norm", cases=_ex3_cases, atol=1e-9,
    statement=r"""
Write `layer_norm(x, eps)`, what `LayerNorm(D)` computes (that is, `normalized_shape = D`, the
size of the **last axis**) without its learned scale and shift: every vector along the last axis
is standardised over its $D$ entries. For an `(N, D)` batch that is each example over its
features; for an `(N, L, D)` batch of sequences (the transformer layout) it is each token
$(n, l)$ over its $D$ features, one mean and variance per example *and* position:

$$\hat x_{\dots,i} = \frac{x_{\dots,i} - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
\mu = \frac1D \sum_{i=1}^{D} x_{\dots,i}, \qquad \sigma^2 = \frac1D \sum_{i=1}^{D} (x_{\dots,i} - \mu)^2 ,$$

where "$\dots$" stands for the leading indices ($n$, or $n, l$). `x` has shape `(N, D)` or more
axes, `(..., D)`; the result has the shape and the dtype of `x`. It must work for a batch of one
example and for a constant row. The check accepts a relative error up to $10^{-7}$ plus an
absolute one of $10^{-9}$ (for float32 input $10^{-5}$ and $10^{-6}$).
""",
    hints=(
        "Each vector along the last axis (an example of an (N, D) batch, a token of an (N, L, D) one) uses its "
        "own mean and variance: compute them along the last axis only, keeping that axis so that they "
        "broadcast back (`keepdims=True`).",
        "`x.mean(axis=-1, keepdims=True)` and `x.var(axis=-1, keepdims=True)` (the biased variance, "
        "dividing by D). eps goes inside the square root.",
        "`return (x - mu) / np.sqrt(var + eps)` with `mu`, `var` as in hint 2. Axis 0 would be BatchNorm.",
    ),
))


def _ex4_cases(rng):
    def args(n, c, scale=1.0, loc=0.0, dtype=np.float64):
        return (random_normal(rng, n, c, scale=scale, loc=loc, dtype=dtype), random_normal(rng, c, loc=1.0, dtype=dtype),
                random_normal(rng, c, dtype=dtype), 1e-5)
    return [
        Case("normal (N, C)", args(8, 3)),
        Case("batch of two", args(2, 4)),
        Case("square (N = C)", args(5, 5, scale=2.0)),
        Case("shifted, scaled inputs", args(16, 6, scale=50.0, loc=100.0)),
        Case("float32", args(6, 4, dtype=np.float32)),
    ]


register(Exercise(
    id="deep.ex4", forbids=('nnlib.norm.BatchNorm1d.forward',), kind="function", title="BatchNorm's forward pass in training mode",
    answer_name="batch_norm_train", cases=_ex4_cases, atol=1e-9,
    statement=r"""
Write `batch_norm_train(x, gamma, beta, eps)`, the output of a BatchNorm layer in training mode
for a batch `x` of shape `(N, C)`: every feature $c$ is standardised with the mean and the
(biased) variance of that feature **over the batch**, then scaled by `gamma[c]` and shifted by
`beta[c]`:

$$y_{n,c} = \gamma_c\, \frac{x_{n,c} - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}} + \beta_c .$$

`gamma` and `beta` have shape `(C,)`; return shape `(N, C)`, dtype of `x`. (The running
averages are not part of this exercise.) The check accepts a relative error up to $10^{-7}$
plus an absolute one of $10^{-9}$ (for float32 input $10^{-5}$ and $10^{-6}$).
""",
    hints=(
        "The statistics of feature c are taken over the N examples: the column of x, not the row.",
        "`mu = x.mean(axis=0)` and `var = x.var(axis=0)` have shape (C,); do not use the unbiased variance.",
        "`return gamma * (x - mu) / np.sqrt(var + eps) + beta`.",
    ),
))


register(Exercise(
    id="deep.ex5", kind="choice", title="What does LayerNorm average over?",
    answer_name="layernorm_axis", reference="layernorm_axis",
    options={
        "a": "over the N examples of the batch, separately for each feature (\"across all samples of a layer\")",
        "b": "over the C features of one example, separately for each example",
        "c": "over all N × C entries of the batch together",
        "d": "over groups of examples of the batch",
    },
    statement=r"""
A `LayerNorm(C)` layer receives a batch of shape `(N, C)`. Its mean $\mu$ and variance
$\sigma^2$ are computed... Set `layernorm_axis` to the letter of your choice, e.g. `"a"`.
(Source 003 describes one of the wrong options.)
""",
    hints=(
        "After LayerNorm, which has mean 0 and variance 1: each row (example) or each column (feature)?",
        "LayerNorm gives the same output for an example whether it comes alone or in a batch: "
        "its statistics cannot involve the other examples.",
    ),
))


_BUGGY_GROUP_NORM = '''
def group_norm(x, num_groups, eps=1e-5):
    """GroupNorm without the learned scale and shift; x has shape (N, C) or (N, C, L)."""
    N = x.shape[0]
    # split the batch into num_groups groups of samples and normalise each group
    g = x.reshape(num_groups, N // num_groups, -1)
    mean = g.mean(axis=(1, 2), keepdims=True)
    var = g.var(axis=(1, 2), keepdims=True)
    return ((g - mean) / np.sqrt(var + eps)).reshape(x.shape)
'''


def _ex6_cases(rng):
    return [
        Case("(N, C), 2 groups", (random_normal(rng, 4, 6), 2)),
        Case("(N, C, L), 2 groups", (random_normal(rng, 6, 4, 3, scale=2.0), 2)),
        Case("one group (like LayerNorm)", (random_normal(rng, 3, 4, loc=1.0), 1)),
        Case("one channel per group", (random_normal(rng, 4, 4, 5), 4)),
        Case("float32", (random_normal(rng, 4, 8, dtype=np.float32), 4)),
    ]


register(Exercise(
    id="deep.ex6", forbids=('nnlib.norm.GroupNorm.forward',), kind="bug", title="Find the bug: a GroupNorm that groups examples",
    answer_name="group_norm", cases=_ex6_cases, buggy=_BUGGY_GROUP_NORM, atol=1e-9,
    statement=r"""
This `group_norm` follows source 003's description of group normalisation: it splits the *batch*
into groups of samples. GroupNorm does something else: it splits the **channels of each example**
into `num_groups` groups (channels $0..C/G-1$ form group 0, and so on) and standardises each group
of each example with its own mean and biased variance (over its channels and, for `(N, C, L)`
input, all their positions). Fix the function; the result has the shape and dtype of `x`. The
check accepts a relative error up to $10^{-7}$ plus an absolute one of $10^{-9}$ (for float32
input $10^{-5}$ and $10^{-6}$).
""",
    hints=(
        "Each example must be normalised on its own: the statistics must never mix two rows of x.",
        "Reshape to (N, num_groups, -1): axis 1 is the group, axis 2 the entries of that group.",
        "`g = x.reshape(N, num_groups, -1)`, then mean and variance over `axis=2` only.",
    ),
))
