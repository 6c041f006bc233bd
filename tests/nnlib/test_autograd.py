"""nnlib.autograd: every operation and random expressions against torch autograd in float64."""
import math
import subprocess
import sys

import numpy as np
import pytest

from nnlib.autograd import MLP, Neuron, Value

torch = pytest.importorskip("torch")

UNARY = {
    "exp": (Value.exp, torch.exp),
    "log": (Value.log, torch.log),
    "tanh": (Value.tanh, torch.tanh),
    "sigmoid": (Value.sigmoid, torch.sigmoid),
    "relu": (Value.relu, torch.relu),
    "neg": (lambda v: -v, lambda t: -t),
    "square": (lambda v: v ** 2, lambda t: t ** 2),
    "cube": (lambda v: v ** 3, lambda t: t ** 3),
    "sqrt": (lambda v: v ** 0.5, lambda t: t ** 0.5),
    "reciprocal": (lambda v: 1.0 / v, lambda t: 1.0 / t),
    "affine": (lambda v: 2.5 - 3.0 * v, lambda t: 2.5 - 3.0 * t),
}
BINARY = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "**": lambda a, b: a ** b,
}


def t64(x):
    return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("x", [0.37, 1.9, -1.2])
def test_each_unary_operation_matches_torch(name, x):  # eq-autograd-rule, one edge at a time
    ours, theirs = UNARY[name]
    if name in ("log", "sqrt") and x <= 0:
        x = -x
    v, t = Value(x), t64(x)
    out, tout = ours(v), theirs(t)
    out.backward()
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-14, abs=1e-15)
    assert v.grad == pytest.approx(t.grad.item(), rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("op", sorted(BINARY))
def test_each_binary_operation_matches_torch_for_both_operands(op):
    f = BINARY[op]
    a, b = Value(1.7), Value(-0.6 if op != "**" else 0.8)
    ta, tb = t64(a.data), t64(b.data)
    out, tout = f(a, b), f(ta, tb)
    out.backward()
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-14)
    assert (a.grad, b.grad) == pytest.approx((ta.grad.item(), tb.grad.item()), rel=1e-13)


def test_numbers_on_either_side_of_an_operator_are_constants():
    x = Value(3.0)
    out = 2 + x * 4 - 1 / x + (5 - x) / 2 + 3 * x
    out.backward()
    assert out.data == pytest.approx(2 + 12 - 1 / 3 + 1 + 9)
    assert x.grad == pytest.approx(4 + 1 / 9 - 0.5 + 3)


def _random_expression(rng, leaves, lib):
    """The same random graph built from Values or from torch tensors; nodes are reused."""
    nodes = list(leaves)
    for _ in range(25):
        kind = rng.integers(4)
        a = nodes[rng.integers(len(nodes))]
        b = nodes[rng.integers(len(nodes))]
        if kind == 0:
            nodes.append(a + b if rng.random() < 0.5 else a - b)
        elif kind == 1:
            nodes.append(a * b * 0.5)
        elif kind == 2:
            nodes.append(a / (b * b + 1.0))
        else:
            fn = ("tanh", "sigmoid", "exp", "log", "relu", "pow")[rng.integers(6)]
            if fn == "exp":
                nodes.append((a * 0.1).exp() if lib == "value" else torch.exp(a * 0.1))
            elif fn == "log":
                nodes.append((a * a + 1.0).log() if lib == "value" else torch.log(a * a + 1.0))
            elif fn == "pow":
                nodes.append((a * a + 0.5) ** 1.5)
            else:
                nodes.append(getattr(a, fn)() if lib == "value" else getattr(torch, fn)(a))
    out = nodes[-1]
    for n in nodes[-6:-1]:
        out = out + n
    return out


@pytest.mark.parametrize("seed", range(20))
def test_random_expressions_have_the_gradients_torch_computes(seed):  # eq-chain-multi, eq-autograd-rule
    values = np.random.default_rng(seed).normal(size=4)
    ours = [Value(x) for x in values]
    theirs = [t64(x) for x in values]
    out = _random_expression(np.random.default_rng(1000 + seed), ours, "value")
    tout = _random_expression(np.random.default_rng(1000 + seed), theirs, "torch")
    out.backward()
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-12, abs=1e-13)
    np.testing.assert_allclose([v.grad for v in ours], [0.0 if t.grad is None else t.grad.item() for t in theirs], rtol=1e-11, atol=1e-13)


def test_backward_twice_adds_up_on_leaves_like_torch_but_not_on_intermediate_nodes():
    x = Value(0.5)
    mid = x.tanh()
    out = mid * mid
    out.backward()
    first, mid_grad = x.grad, mid.grad
    out.backward()
    assert x.grad == pytest.approx(2 * first)
    assert mid.grad == pytest.approx(mid_grad)  # recomputed, not doubled
    x.zero_grad()
    out.backward()
    assert x.grad == pytest.approx(first)


def test_topological_order_puts_every_node_after_its_parents():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    d = c + a
    e = d.tanh() * c
    order = e.topological_order()
    assert order[-1] is e and len(order) == len({id(n) for n in order}) == 6
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent, _ in node.parents:
            assert position[id(parent)] < position[id(node)]


def test_a_chain_of_ten_thousand_operations_needs_no_recursion():
    x = Value(0.1)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0001 ** 10_000, rel=1e-9)


def test_sigmoid_and_tanh_stay_finite_for_large_inputs():
    for x in (-800.0, 800.0):
        for fn in (Value.sigmoid, Value.tanh):
            v = Value(x)
            out = fn(v)
            out.backward()
            assert math.isfinite(out.data) and v.grad == pytest.approx(0.0, abs=1e-300)


def test_bad_inputs_raise_errors_that_say_what_is_wrong():
    with pytest.raises(TypeError, match="data"):
        Value("1.0")
    with pytest.raises(TypeError):
        Value(True)
    with pytest.raises(ValueError, match="finite"):
        Value(float("nan"))
    with pytest.raises(ValueError, match=r"log\(0.0\): log needs a positive value"):
        Value(0.0).log()
    with pytest.raises(ValueError, match="not a finite real number"):
        Value(0.0) ** -1
    with pytest.raises(ValueError, match="not a finite real number"):
        Value(-2.0) ** 0.5
    with pytest.raises(TypeError, match="operand"):
        Value(1.0) + "a"


OVERFLOWS = {  # every operation of Value whose result or local derivative can overflow a float
    "+": (lambda: Value(1e308) + Value(1e308), "1e+308 + 1e+308", "the result"),
    "+ a number": (lambda: 1e308 + Value(1e308), "1e+308 + 1e+308", "the result"),
    "-": (lambda: Value(1e308) - Value(-1e308), "1e+308 - -1e+308", "the result"),
    "- from a number": (lambda: -1e308 - Value(1e308), "-1e+308 - 1e+308", "the result"),
    "*": (lambda: Value(1e200) * Value(1e200), "1e+200 * 1e+200", "the result"),
    "/": (lambda: Value(1.0) / Value(1e-320), "1.0 / 1e-320", "the result"),
    "number / Value": (lambda: 1e300 / Value(1e-10), "1e+300 / 1e-10", "the result"),
    "**": (lambda: Value(1e200) ** 2, "1e+200 ** 2.0", "the result"),
    "** negative": (lambda: Value(1e-200) ** -2, "1e-200 ** -2.0", "the result"),
    "** derivative": (lambda: Value(1e-200) ** -1, "1e-200 ** -1.0", "its derivative"),
    "exp": (lambda: Value(1000.0).exp(), "exp(1000.0)", "the result"),
    "log derivative": (lambda: Value(5e-324).log(), "log(5e-324)", "its derivative"),
    "Value ** Value": (lambda: Value(10.0) ** Value(400.0), "10.0 ** 400.0", "the result"),
}


@pytest.mark.parametrize("name", list(OVERFLOWS))
def test_overflow_in_any_operation_raises_a_value_error_naming_the_operation_and_operands(name):
    make, expression, what = OVERFLOWS[name]
    with pytest.raises(ValueError) as info:
        make()
    message = str(info.value)
    assert expression in message and "overflows" in message and what in message, message


@pytest.mark.parametrize("op", [Value.tanh, Value.sigmoid, Value.relu, lambda v: -v],
                         ids=["tanh", "sigmoid", "relu", "neg"])
@pytest.mark.parametrize("x", [-1e308, 1e308])
def test_bounded_operations_never_overflow_even_at_the_largest_floats(op, x):
    v = Value(x)
    out = op(v)
    out.backward()
    assert math.isfinite(out.data) and math.isfinite(v.grad)


def test_division_is_one_node_so_tiny_operands_keep_finite_derivatives_like_torch():
    a, b = Value(3e-200), Value(1.5e-200)
    out = a / b  # a * b**-1 would need d(b**-1)/db = -b**-2 = -4e399: an overflow
    out.backward()
    ta, tb = t64(3e-200), t64(1.5e-200)
    (ta / tb).backward()
    assert out.data == pytest.approx(2.0, rel=1e-15) and out.op == "/"
    assert (a.grad, b.grad) == pytest.approx((ta.grad.item(), tb.grad.item()), rel=1e-14)
    with pytest.raises(ValueError, match=r"2.0 / 0.0: division by zero"):
        Value(2.0) / 0
    with pytest.raises(ValueError, match=r"-1.0 \*\* 2.0: a power with a Value exponent .* base a > 0"):
        Value(-1.0) ** Value(2.0)


def test_numbers_too_large_for_a_float_are_refused_with_a_message():
    with pytest.raises(ValueError, match="data is too large for a float64 number"):
        Value(10**400)
    with pytest.raises(ValueError, match="operand is too large for a float64 number"):
        Value(1.0) * 10**400


def test_repr_shows_label_value_and_gradient():
    assert repr(Value(0.5, "w")) == "Value(w: data=0.5, grad=0)"


def _torch_mlp_loss(mlp, X, T, hidden, output):
    layers = []
    for layer in mlp.layers:
        W = torch.tensor([[w.data for w in n.w] for n in layer], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([n.b.data for n in layer], dtype=torch.float64, requires_grad=True)
        layers.append((W, b))
    h = torch.tensor(X, dtype=torch.float64)
    for i, (W, b) in enumerate(layers):
        h = h @ W.T + b
        h = getattr(torch, hidden)(h) if i < len(layers) - 1 else (torch.sigmoid(h) if output == "sigmoid" else h)
    loss = 0.5 * ((h - torch.tensor(T, dtype=torch.float64)) ** 2).sum()
    loss.backward()
    return loss.item(), layers


@pytest.mark.parametrize("hidden, output", [("tanh", "linear"), ("relu", "sigmoid"), ("sigmoid", "sigmoid")])
def test_mlp_gradients_match_torch(hidden, output):
    rng = np.random.default_rng(7)
    X, T = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    mlp = MLP(3, [4, 3, 2], activation=hidden, output=output, rng=3)
    loss = sum(((o - float(t)) ** 2 * 0.5 for x, y in zip(X, T) for o, t in zip(mlp(list(x)), y)), Value(0.0))
    mlp.zero_grad()
    loss.backward()
    tloss, layers = _torch_mlp_loss(mlp, X, T, hidden, output)
    assert loss.data == pytest.approx(tloss, rel=1e-12)
    for layer, (W, b) in zip(mlp.layers, layers):
        np.testing.assert_allclose([[w.grad for w in n.w] for n in layer], W.grad.numpy(), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose([n.b.grad for n in layer], b.grad.numpy(), rtol=1e-10, atol=1e-13)
    assert len(mlp.parameters()) == 3 * 4 + 4 + 4 * 3 + 3 + 3 * 2 + 2


def test_a_small_mlp_learns_xor_by_gradient_descent():
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    T = [0.0, 1.0, 1.0, 0.0]
    mlp = MLP(2, [4, 1], activation="tanh", output="sigmoid", rng=1)
    for _ in range(300):
        loss = sum(((mlp(x)[0] - t) ** 2 * 0.5 for x, t in zip(X, T)), Value(0.0))
        mlp.zero_grad()
        loss.backward()
        for p in mlp.parameters():
            p.data -= 1.0 * p.grad
    outputs = [mlp(x)[0].data for x in X]
    assert [o > 0.5 for o in outputs] == [t == 1.0 for t in T] and loss.data < 0.01


def test_neurons_are_seeded_and_check_their_arguments():
    a, b = Neuron(3, rng=5), Neuron(3, rng=5)
    assert [w.data for w in a.w] == [w.data for w in b.w] and all(abs(w.data) <= 1 / math.sqrt(3) for w in a.w)
    with pytest.raises(ValueError, match="takes 3 inputs"):
        a([1.0, 2.0])
    with pytest.raises(ValueError, match="activation"):
        Neuron(2, activation="softplus")
    with pytest.raises(ValueError, match="n_in"):
        Neuron(0)
    with pytest.raises(ValueError, match="at least one layer"):
        MLP(2, [])
    with pytest.raises(TypeError, match=r"sizes must be a list of layer widths, e.g. \[4, 1\], got 4"):
        MLP(2, 4)
    with pytest.raises(ValueError, match=r"sizes\[1\] must be >= 1, got 0"):
        MLP(2, [3, 0])
    with pytest.raises(TypeError, match=r"sizes\[0\] must be an integer, got 2.5"):
        MLP(2, [2.5])
    with pytest.raises(TypeError, match="takes a list of 3 inputs .* got float"):
        a(1.0)


def test_importing_nnlib_autograd_needs_only_numpy():
    code = "import sys, nnlib.autograd; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
