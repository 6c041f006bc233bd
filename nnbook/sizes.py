r"""How big a network is: parameters, bytes of memory and floating-point operations.

Back-of-the-envelope arithmetic of the introduction chapter, written once so
that every chapter (and every reader) counts the same way:

* :func:`count_parameters` -- weights and biases of a fully connected network
  given its layer widths, e.g. ``[784, 16, 16, 10]`` -> ``(12960, 42)``;
* :func:`count_module_parameters` -- the same count read off a built model;
* :func:`param_memory` -- bytes needed to store ``n`` parameters in a dtype;
* :func:`adam_training_memory` -- bytes per parameter of mixed-precision
  training with Adam (16, see :data:`MIXED_PRECISION_ADAM_BYTES`);
* :func:`forward_flops_per_example` -- ``2 x weights`` for a dense network;
* :func:`training_flops_per_example` -- forward and backward, ``6 x weights``
  less the first layer's unneeded input gradient;
* :func:`training_flops` -- the estimate :math:`C \approx 6ND`;
* :func:`compute_days` -- what a number of FLOPs means in device-days;
* :func:`format_size` -- ``175e9`` as ``"175 B"``, ``14e9`` bytes as ``"14 GB"``;
* :data:`KNOWN_MODELS` -- published sizes of well-known models, with the key
  of the reference that reports them (``book/references.bib``).

Only the Python standard library and numpy are used; every count is an exact
Python ``int`` (no overflow, whatever the size).
"""
from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from nnlib._validate import check_number

__all__ = [
    "count_parameters", "count_module_parameters", "param_memory", "DTYPE_BYTES",
    "MIXED_PRECISION_ADAM_BYTES", "adam_training_memory", "forward_flops_per_example",
    "training_flops_per_example", "training_flops", "compute_days", "format_size", "KnownModel",
    "KNOWN_MODELS",
]

#: Bytes per stored number for the dtypes the book talks about.
DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
_DTYPE_ALIASES = {"fp64": "float64", "fp32": "float32", "fp16": "float16", "half": "float16",
                  "bf16": "bfloat16"}

#: Bytes kept per parameter when a model is trained in mixed precision with
#: Adam (the accounting of Rajbhandari et al., 2020), activations not included.
MIXED_PRECISION_ADAM_BYTES = {
    "bf16 weights (used in forward and backward)": 2,
    "bf16 gradients": 2,
    "fp32 master copy of the weights": 4,
    "fp32 Adam first moment m": 4,
    "fp32 Adam second moment v": 4,
}


def _as_widths(widths) -> list:
    """Layer widths as a list of positive Python ints (at least two of them)."""
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__len__"):
        raise TypeError(f"widths must be a list of layer sizes such as [784, 16, 16, 10], got {widths!r}")
    values = list(widths.tolist() if isinstance(widths, np.ndarray) else widths)
    if len(values) < 2:
        raise ValueError(f"widths must hold at least two sizes (input and output), got {values}")
    for i, w in enumerate(values):
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, numbers.Integral):
            raise TypeError(f"widths[{i}] must be an integer number of units, got {w!r}")
        if w < 1:
            raise ValueError(f"widths[{i}] must be >= 1 (a layer has at least one unit), got {w}")
    return [int(w) for w in values]


def _as_count(value, name: str) -> int:
    """A non-negative whole number (an int, or a float such as ``7e9``) as an int."""
    check_number(value, name, low=0)
    if not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def count_parameters(widths, bias: bool = True) -> tuple:
    r"""Weights and biases of a fully connected network with the given layer widths.

    Parameters
    ----------
    widths : sequence of int, length L + 1 >= 2
        ``[D_0, D_1, ..., D_L]``: the input size, the hidden widths, the
        output size. The input layer holds data, not neurons with a bias.
    bias : bool, default True
        Whether every non-input unit has a bias.

    Returns
    -------
    (weights, biases) : tuple of int

    Notes
    -----
    Layer :math:`\ell` has a weight matrix of shape :math:`(D_{\ell-1}, D_\ell)`
    and one bias per unit:

    .. math:: P = \sum_{\ell=1}^{L} \left(D_{\ell-1} D_\ell + D_\ell\right).

    Examples
    --------
    >>> count_parameters([784, 16, 16, 10])
    (12960, 42)
    >>> sum(count_parameters([784, 128, 10]))
    101770
    """
    w = _as_widths(widths)
    weights = sum(a * b for a, b in zip(w[:-1], w[1:]))
    biases = sum(w[1:]) if bias else 0
    return weights, biases


def count_module_parameters(module) -> int:
    """Total number of trainable numbers of an ``nnlib`` model (``Module``).

    Examples
    --------
    >>> from nnlib import Dense, ReLU, Sequential
    >>> count_module_parameters(Sequential(Dense(784, 128, rng=0), ReLU(), Dense(128, 10, rng=0)))
    101770
    """
    params = getattr(module, "parameters", None)
    if not callable(params):
        raise TypeError(f"module must be an nnlib Module (with .parameters()), got {type(module).__name__}")
    return sum(int(p.data.size) for p in params())


def _dtype_name(dtype) -> str:
    if isinstance(dtype, str):
        name = _DTYPE_ALIASES.get(dtype.lower(), dtype.lower())
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = str(dtype)
    if name not in DTYPE_BYTES:
        raise ValueError(f"dtype must be one of {sorted(DTYPE_BYTES)} (or {sorted(_DTYPE_ALIASES)}), got {dtype!r}")
    return name


def param_memory(n_params, dtype="float32") -> int:
    r"""Bytes needed to store ``n_params`` numbers of the given dtype.

    Parameters
    ----------
    n_params : int (or a whole float such as ``7e9``), >= 0
    dtype : {"float64", "float32", "float16", "bfloat16", "int8"} or a numpy dtype
        Aliases ``"fp32"``, ``"fp16"``, ``"bf16"``... are accepted.

    Returns
    -------
    int
        :math:`M = P \cdot b`, with :math:`b` the bytes per number
        (:data:`DTYPE_BYTES`). Divide by ``1e9`` for gigabytes (GB) or by
        ``2**30`` for gibibytes (GiB).

    Examples
    --------
    >>> param_memory(7e9, "bfloat16")
    14000000000
    """
    return _as_count(n_params, "n_params") * DTYPE_BYTES[_dtype_name(dtype)]


def adam_training_memory(n_params) -> int:
    r"""Bytes of weights, gradients and optimiser state for mixed-precision Adam.

    Notes
    -----
    With bf16 (or fp16) weights and gradients, an fp32 master copy of the
    weights and Adam's two fp32 moment estimates, each parameter costs

    .. math:: 2 + 2 + 4 + 4 + 4 = 16 \text{ bytes}

    (:data:`MIXED_PRECISION_ADAM_BYTES`). Activations, which depend on the
    batch size, come on top.

    Examples
    --------
    >>> adam_training_memory(7e9) / 1e9
    112.0
    """
    return _as_count(n_params, "n_params") * sum(MIXED_PRECISION_ADAM_BYTES.values())


def forward_flops_per_example(widths) -> int:
    r"""Floating-point operations of one forward pass of a dense network, per example.

    Each weight takes part in one multiplication and one addition:

    .. math:: F_\text{fwd} = 2 \sum_{\ell=1}^{L} D_{\ell-1} D_\ell .

    Bias additions and activations (a few operations per unit, not per
    weight) are left out, as PyTorch's ``FlopCounterMode`` does.

    Examples
    --------
    >>> forward_flops_per_example([784, 16, 16, 10])
    25920
    """
    weights, _ = count_parameters(widths)
    return 2 * weights


def training_flops_per_example(widths, input_grad: bool = False) -> int:
    r"""Floating-point operations of one forward and one backward pass of a dense network, per example.

    Parameters
    ----------
    widths : sequence of int
        ``[D_0, D_1, ..., D_L]``, as for :func:`count_parameters`.
    input_grad : bool, default False
        Whether the gradient with respect to the network's input is computed
        too. In ordinary training the input is data and needs no gradient.

    Notes
    -----
    The backward pass of layer :math:`\ell` computes the gradient with respect
    to its weights and the one with respect to its input, one matrix product
    of :math:`2 D_{\ell-1} D_\ell` FLOPs per example each. The first layer's
    input gradient is needed only when ``input_grad`` is true, so

    .. math:: F_\text{train} = 6 \sum_{\ell=1}^{L} D_{\ell-1} D_\ell - 2 D_0 D_1

    per example in ordinary training, and :math:`6 \sum D_{\ell-1} D_\ell`
    (the :math:`6N` of :func:`training_flops`, with :math:`N` the weights) with
    ``input_grad=True``. Bias gradients and activations are left out, as
    PyTorch's ``FlopCounterMode`` does.

    Examples
    --------
    >>> training_flops_per_example([784, 16, 16, 10])
    52672
    >>> training_flops_per_example([784, 16, 16, 10], input_grad=True)
    77760
    """
    w = _as_widths(widths)
    if not isinstance(input_grad, (bool, np.bool_)):
        raise TypeError(f"input_grad must be True or False, got {input_grad!r}")
    full = 3 * forward_flops_per_example(w)
    return full if input_grad else full - 2 * w[0] * w[1]


def training_flops(n_params, n_tokens) -> float:
    r"""Estimated floating-point operations to train a model: :math:`C \approx 6ND`.

    Parameters
    ----------
    n_params : float, >= 0
        :math:`N`, the number of parameters (the :math:`P` of
        :func:`count_parameters`; for a language model Kaplan et al. count
        the parameters outside the token-embedding tables).
    n_tokens : float, >= 0
        :math:`D`, the number of training tokens (examples, for a network
        that uses every weight once per example) processed in training.

    Notes
    -----
    The forward pass costs about 2 FLOPs per parameter per token and the
    backward pass about twice that (the gradients with respect to the layer's
    input and to its weights are one matrix product each), so
    :math:`C \approx (2 + 4) N D` (Kaplan et al., 2020). This counts every
    layer's input gradient; a network whose first layer holds a large share of
    the weights costs less, see :func:`training_flops_per_example`.

    Examples
    --------
    >>> f"{training_flops(175e9, 300e9):.3g}"
    '3.15e+23'
    """
    n = check_number(n_params, "n_params", low=0)
    d = check_number(n_tokens, "n_tokens", low=0)
    return 6.0 * float(n) * float(d)


def compute_days(flops, flops_per_second, n_devices=1) -> float:
    r"""Days needed to perform ``flops`` operations at a sustained rate.

    .. math:: T = \frac{C}{R \cdot n \cdot 86\,400\ \text{s/day}}

    Parameters
    ----------
    flops : float, >= 0
        :math:`C`, the total number of floating-point operations.
    flops_per_second : float, > 0
        :math:`R`, the rate one device *sustains* (well below its peak).
    n_devices : int, >= 1
        :math:`n`, devices working in parallel at that rate each.

    Examples
    --------
    >>> compute_days(8.64e19, 1e12)  # 1e12 FLOP/s for 1000 days
    1000.0
    """
    c = check_number(flops, "flops", low=0)
    r = check_number(flops_per_second, "flops_per_second", low=0, low_open=True)
    n = check_number(n_devices, "n_devices", low=1, integer=True)
    return float(c) / (float(r) * int(n) * 86400.0)


def format_size(x, unit: str = "") -> str:
    """A count as ``"13 k"``, ``"7 B"`` (billion); bytes (``unit="B"``) as ``"26 kB"``, ``"14 GB"``.

    Three significant digits, decimal prefixes (k = 10^3, M = 10^6, B or G = 10^9,
    T = 10^12). Counts use B for billion, as model sizes are usually written;
    with a unit, G (giga) is used instead, so that ``"14 GB"`` is not misread.

    Examples
    --------
    >>> format_size(175e9), format_size(13002), format_size(14e9, "B"), format_size(999)
    ('175 B', '13 k', '14 GB', '999')
    """
    x = check_number(x, "x")
    prefixes = ("T", "G", "M", "k") if unit else ("T", "B", "M", "k")
    for scale, prefix in zip((1e12, 1e9, 1e6, 1e3), prefixes):
        if abs(x) >= scale:
            return f"{x / scale:.3g} {prefix}{unit}"
    return f"{x:.3g} {unit}".rstrip()


class KnownModel(NamedTuple):
    """A published model: its size as its authors report it."""

    name: str
    parameters: float
    tokens: float | None  # training tokens, None where not a language model or not stated
    year: int
    cite: str  # key in book/references.bib


#: Published sizes (parameters; training tokens for the language models), oldest first.
#: LLaMA sizes are the nominal ones of the models' names.
KNOWN_MODELS = (
    KnownModel("LeNet-5", 6e4, None, 1998, "lecun1998gradient"),
    KnownModel("AlexNet", 6e7, None, 2012, "krizhevsky2012imagenet"),
    KnownModel("Transformer (big)", 2.13e8, None, 2017, "vaswani2017attention"),
    KnownModel("BERT-base", 1.1e8, None, 2019, "devlin2019bert"),
    KnownModel("BERT-large", 3.4e8, None, 2019, "devlin2019bert"),
    KnownModel("GPT-3", 1.75e11, 3.0e11, 2020, "brown2020language"),
    KnownModel("Gopher", 2.8e11, 3.0e11, 2021, "rae2021scaling"),
    KnownModel("Chinchilla", 7.0e10, 1.4e12, 2022, "hoffmann2022training"),
    KnownModel("LLaMA-7B", 7e9, 1.0e12, 2023, "touvron2023llama"),
    KnownModel("LLaMA-65B", 6.5e10, 1.4e12, 2023, "touvron2023llama"),
)
