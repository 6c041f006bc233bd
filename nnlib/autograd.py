r"""A scalar autograd engine: reverse-mode differentiation on a graph of numbers.

Each operation on :class:`Value` objects makes a new node that remembers its
inputs (its *parents*) and the **local derivative** of the result with
respect to each, evaluated on the way forward. ``backward()`` visits the
nodes from the output back to the inputs (reverse topological order) and
applies the chain rule once per edge, so a node used twice receives the sum
of both contributions:

.. math:: \bar u \mathrel{+}= \frac{\partial v}{\partial u}\,\bar v,
          \qquad \bar v = \frac{\partial L}{\partial v}.

``torch.autograd`` does the same for tensors; here every value is one float.
:class:`Neuron` and :class:`MLP` build a network from Values.

Examples
--------
>>> x, w, b = Value(2.0), Value(-0.5), Value(0.25)
>>> loss = ((w * x + b).tanh() - 1.0) ** 2
>>> loss.backward()
>>> round(w.grad, 6), round(x.grad, 6)
(-3.902027, 0.975507)
"""
from __future__ import annotations

import math

from ._validate import as_rng, check_number

__all__ = ["Value", "Neuron", "MLP"]


def _expression(op: str, args) -> str:
    """How an operation reads in an error message: ``exp(1000.0)``, ``1e+200 ** 2.0``, ``1.0 / 0.0``."""
    op = "**" if op.startswith("**") else op
    return f"{args[0]!r} {op} {args[1]!r}" if len(args) == 2 else f"{op}({args[0]!r})"


def _overflow(op: str, args, what: str = "the result") -> ValueError:
    return ValueError(f"{_expression(op, args)} overflows: {what} is beyond the largest float "
                      f"(about 1.8e308); every Value and local derivative must be a finite number")


def _evaluate(fn, op: str, args, what: str = "the result") -> float:
    """``fn()``, turning Python's OverflowError (raised by ``**`` and ``math.exp``) into :func:`_overflow`."""
    try:
        out = fn()
    except OverflowError:
        raise _overflow(op, args, what) from None
    return out


def _node(data, op, *parents, args=None):
    """The result of an operation: its value, its name and ``(parent, local derivative)`` pairs.

    ``args`` are the operands named in an error message (by default the parents' values). A result or
    a local derivative that overflowed to infinity is refused here, with the operation and its operands.
    """
    args = tuple(p.data for p, _ in parents) if args is None else args
    if not math.isfinite(data):
        raise _overflow(op, args)
    if not all(math.isfinite(d) for _, d in parents):
        raise _overflow(op, args, f"the result {data!r} is finite, but its derivative")
    return Value(data, _parents=parents, _op=op)


class Value:
    """One scalar of a computation graph: ``Value(data, label="")``.

    Attributes
    ----------
    data : float
    grad : float
        :math:`\\partial L / \\partial v` for this value :math:`v` after ``L.backward()``.
        Leaves (values not computed from others) add up over calls, like
        PyTorch's leaf tensors: reset them with ``zero_grad``.
    op, label : str
        The operation that produced the value ('' for a leaf); a name for ``repr``.
    parents : tuple of (Value, float)
        The operation's inputs, each with the local derivative of the result.

    Raises
    ------
    ValueError
        From any operation (``+ - * / **``, ``exp``, ``log``) whose result or
        local derivative overflows a float, naming the operation and its
        operands (``exp(1000.0) overflows: ...``), instead of Python's bare
        ``OverflowError`` or a silent ``inf``; also for a division by zero
        and a ``log`` of a number <= 0.
    """

    __slots__ = ("data", "grad", "op", "parents", "label")

    def __init__(self, data, label: str = "", *, _parents=(), _op: str = ""):
        self.data, self.grad, self.label = float(check_number(data, "data")), 0.0, label
        self.parents, self.op = tuple(_parents), _op

    @staticmethod
    def _lift(other) -> "Value":
        return other if isinstance(other, Value) else Value(float(check_number(other, "operand")))

    def __add__(self, other):
        other = self._lift(other)
        return _node(self.data + other.data, "+", (self, 1.0), (other, 1.0))

    def __mul__(self, other):
        other = self._lift(other)
        return _node(self.data * other.data, "*", (self, other.data), (other, self.data))

    def __pow__(self, k):
        if isinstance(k, Value):  # a ** b = exp(b log a), defined for a > 0
            if self.data <= 0:
                raise ValueError(f"{self.data!r} ** {k.data!r}: a power with a Value exponent is computed as "
                                 f"exp(b log a), defined for a base a > 0")
            try:
                return (k * self.log()).exp()
            except ValueError as exc:
                raise ValueError(f"{self.data!r} ** {k.data!r} = exp({k.data!r} * log({self.data!r})): {exc}") from None
        k = float(check_number(k, "exponent"))
        if (self.data == 0 and k < 1) or (self.data < 0 and not k.is_integer()):
            raise ValueError(f"({self.data}) ** {k} or its derivative is not a finite real number")
        args = (self.data, k)
        data = _evaluate(lambda: self.data ** k, "**", args)
        local = _evaluate(lambda: k * self.data ** (k - 1), "**", args,
                          f"the result {data!r} is finite, but its derivative")
        return _node(data, f"**{k:g}", (self, local), args=args)

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):  # a - b = a + (-1) b
        other = self._lift(other)
        try:
            return self + (-other)
        except ValueError:  # name the subtraction the reader wrote, not the addition it became
            raise _overflow("-", (self.data, other.data)) from None

    def __truediv__(self, other):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -(a/b)/b
        other = self._lift(other)
        if other.data == 0:
            raise ValueError(f"{self.data!r} / {other.data!r}: division by zero")
        q = self.data / other.data
        return _node(q, "/", (self, 1.0 / other.data), (other, -q / other.data))

    __radd__, __rmul__ = __add__, __mul__

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def exp(self):
        e = _evaluate(lambda: math.exp(self.data), "exp", (self.data,))  # d/dx e^x = e^x
        return _node(e, "exp", (self, e))

    def log(self):
        if self.data <= 0:
            raise ValueError(f"log({self.data!r}): log needs a positive value, got {self.data}")
        return _node(math.log(self.data), "log", (self, 1.0 / self.data))

    def tanh(self):
        t = math.tanh(self.data)
        return _node(t, "tanh", (self, 1.0 - t * t))

    def sigmoid(self):
        e = math.exp(-abs(self.data))  # never overflows
        s = 1.0 / (1.0 + e) if self.data >= 0 else e / (1.0 + e)
        return _node(s, "sigmoid", (self, s * (1.0 - s)))

    def relu(self):
        return _node(max(self.data, 0.0), "relu", (self, 1.0 if self.data > 0 else 0.0))

    def topological_order(self) -> list:
        """Every node this value depends on, each after all of its parents (this value last)."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # depth-first, without recursion, so long chains are fine
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p, _ in node.parents if id(p) not in seen)
        return order

    def backward(self) -> None:
        """Fill ``grad`` of every node with the derivative of this value with respect to it."""
        order = self.topological_order()
        for node in order:
            if node.parents:  # intermediate results are recomputed from scratch
                node.grad = 0.0
        self.grad += 1.0  # dL/dL
        for node in reversed(order):
            for parent, local in node.parents:
                parent.grad += local * node.grad  # the chain rule, one edge

    def zero_grad(self) -> None:
        self.grad = 0.0

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"


_ACTIVATIONS = {"tanh": Value.tanh, "sigmoid": Value.sigmoid, "relu": Value.relu, "linear": lambda v: v}


class Neuron:
    r"""One neuron :math:`a = f(\sum_i w_i x_i + b)` on Values, weights drawn from :math:`U(-1/\sqrt{n}, 1/\sqrt{n})`."""

    def __init__(self, n_in: int, activation: str = "tanh", rng=None):
        check_number(n_in, "n_in", low=1, integer=True)
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        bound, rng = 1.0 / math.sqrt(n_in), as_rng(rng)
        self.w = [Value(u) for u in rng.uniform(-bound, bound, size=n_in)]
        self.b, self.activation = Value(rng.uniform(-bound, bound)), activation

    def __call__(self, x):
        if not hasattr(x, "__len__") or isinstance(x, (str, bytes)):
            raise TypeError(f"this neuron takes a list of {len(self.w)} inputs (numbers or Values), "
                            f"got {type(x).__name__}")
        if len(x) != len(self.w):
            raise ValueError(f"this neuron takes {len(self.w)} inputs, got {len(x)}")
        z = sum((w_i * x_i for w_i, x_i in zip(self.w, x)), self.b)
        return _ACTIVATIONS[self.activation](z)

    def parameters(self) -> list:
        return self.w + [self.b]


class MLP:
    """Layers (lists of :class:`Neuron`) of widths ``sizes``: ``activation`` in hidden layers, ``output`` last.

    ``MLP(2, [4, 1], rng=0)([x1, x2])`` returns a list with one Value.
    """

    def __init__(self, n_in: int, sizes, activation: str = "tanh", output: str = "linear", rng=None):
        check_number(n_in, "n_in", low=1, integer=True)
        if not hasattr(sizes, "__iter__") or isinstance(sizes, (str, bytes)):
            raise TypeError(f"sizes must be a list of layer widths, e.g. [4, 1], got {sizes!r}")
        sizes = list(sizes)
        if not sizes:
            raise ValueError("sizes must list at least one layer width, e.g. [4, 1]")
        for i, width in enumerate(sizes):
            check_number(width, f"sizes[{i}]", low=1, integer=True)
        rng, widths = as_rng(rng), [n_in, *sizes]
        self.layers = [[Neuron(a, activation if i < len(sizes) - 1 else output, rng) for _ in range(b)]
                       for i, (a, b) in enumerate(zip(widths[:-1], widths[1:]))]

    def __call__(self, x):
        for layer in self.layers:
            x = [neuron(x) for neuron in layer]
        return x

    def parameters(self) -> list:
        return [p for layer in self.layers for neuron in layer for p in neuron.parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0
