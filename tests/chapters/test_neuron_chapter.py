"""Every equation of the neuron chapter (book/02_neuron.ipynb), checked in float64, and its model code.

Each test names the equation label it checks.
"""
import ast
import json
from pathlib import Path

import numpy as np
import pytest

import nnlib
from nnlib import Dense, Sequential, Sigmoid
from nnbook.exercises import check

NOTEBOOK = Path(__file__).resolve().parents[2] / "book" / "02_neuron.ipynb"
XOR_POINTS = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


def notebook_function(name):
    """The function ``name`` exactly as a code cell of the chapter defines it."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and f"def {name}(" in source:
            tree = ast.parse(source)
            defs = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name]
            ns = {"np": np}
            exec(compile(ast.Module(body=defs, type_ignores=[]), str(NOTEBOOK), "exec"), ns)
            return ns[name]
    raise AssertionError(f"no code cell of {NOTEBOOK.name} defines {name}")


# eq-neuron
def test_eq_neuron_weighted_sum_plus_bias_through_sigmoid_matches_dense_and_sigmoid():
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=5), rng.normal(size=5), float(rng.normal())
    z = sum(w[i] * x[i] for i in range(5)) + b
    neuron = Sequential(Dense(5, 1, rng=1), Sigmoid())
    neuron[0].W.data[:, 0], neuron[0].b.data[:] = w, b
    assert z == pytest.approx(w @ x + b, rel=1e-12)
    assert neuron(x[None, :])[0, 0] == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-12)


# eq-decision-line
def test_eq_decision_line_output_is_one_half_on_the_line_and_w_is_its_normal():
    w, b = np.array([2.0, 1.0]), -1.0
    x1 = np.linspace(-2, 2, 9)
    on_line = np.column_stack([x1, -(w[0] * x1 + b) / w[1]])
    np.testing.assert_allclose(nnlib.sigmoid(on_line @ w + b), 0.5, rtol=0, atol=1e-15)
    direction = on_line[1] - on_line[0]
    assert direction @ w == pytest.approx(0.0, abs=1e-12)                 # w is perpendicular to the line
    foot = -b * w / (w @ w)
    assert np.linalg.norm(foot) == pytest.approx(abs(b) / np.linalg.norm(w), rel=1e-12)
    assert (on_line[0] + 0.1 * w) @ w + b > 0                               # w points to where z grows


# eq-layer
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_eq_layer_loops_matrix_product_and_dense_agree_and_keep_the_dtype(dtype):
    layer_by_loops = notebook_function("layer_by_loops")
    rng = np.random.default_rng(1)
    layer = Dense(3, 2, rng=rng)
    X, W, b = (a.astype(dtype) for a in (rng.normal(size=(4, 3)), layer.W.data, layer.b.data))
    Z = layer_by_loops(X, W, b)
    assert Z.dtype == dtype and Z.shape == (4, 2)
    tol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(Z, X @ W + b, rtol=tol, atol=tol)
    np.testing.assert_allclose(Z, layer(X.astype(np.float64)), rtol=1e-6, atol=1e-6)


# eq-layer
def test_the_chapters_loop_code_passes_every_case_of_its_own_exercise_float32_included():
    layer_by_loops = notebook_function("layer_by_loops")
    result = check("neuron.ex2", layer_by_loops)
    assert result.ok, repr(result)


# eq-forward
def test_eq_forward_layer_by_layer_equals_sequential():
    rng = np.random.default_rng(2)
    net = Sequential(Dense(3, 4, rng=rng), Sigmoid(), Dense(4, 2, rng=rng), Sigmoid())
    X = rng.normal(size=(5, 3))
    A = X
    for layer in (net[0], net[2]):
        A = 1 / (1 + np.exp(-(A @ layer.W.data + layer.b.data)))
    np.testing.assert_allclose(net(X), A, rtol=1e-12)


# eq-perceptron
def test_eq_perceptron_step_is_the_sigmoid_output_rounded_at_one_half():
    step = notebook_function("step")
    z = np.array([-3.0, -1e-9, 0.0, 1e-9, 2.5])
    np.testing.assert_array_equal(step(z), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(step(z), (nnlib.sigmoid(z) > 0.5).astype(float))
    and_gate = step(XOR_POINTS @ np.array([1.0, 1.0]) - 1.5)
    np.testing.assert_array_equal(and_gate, [0, 0, 0, 1])


# eq-bias-trick
def test_eq_bias_trick_a_constant_input_of_one_makes_the_bias_a_weight():
    rng = np.random.default_rng(3)
    X, W, b = rng.normal(size=(6, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    X_tilde = np.hstack([X, np.ones((6, 1))])
    W_tilde = np.vstack([W, b])
    np.testing.assert_allclose(X_tilde @ W_tilde, X @ W + b, rtol=1e-12, atol=1e-14)
    x, w, bias = X[0], W[:, 0], b[0]
    assert np.append(w, bias) @ np.append(x, 1.0) == pytest.approx(w @ x + bias, rel=1e-12)


# eq-xor-inequalities
def test_eq_xor_inequalities_identity_holds_for_every_neuron():
    rng = np.random.default_rng(4)
    w1, w2, b = rng.normal(size=(3, 10_000)) * 10.0 ** rng.integers(-3, 4, size=(3, 10_000))
    z = {p: w1 * p[0] + w2 * p[1] + b for p in ((0, 0), (1, 0), (0, 1), (1, 1))}
    np.testing.assert_allclose(z[1, 0] + z[0, 1], z[0, 0] + z[1, 1], rtol=1e-12, atol=1e-9)


# eq-xor-inequalities
@pytest.mark.parametrize("gate, targets, feasible", [
    ("AND", [0, 0, 0, 1], True), ("OR", [0, 1, 1, 1], True), ("XOR", [0, 1, 1, 0], False)])
def test_eq_xor_inequalities_have_no_solution_while_and_and_or_do(gate, targets, feasible):
    """Linear programming: z <= 0 at the 0-points and z > 0 at the 1-points.

    z > 0 is written z >= 1, which loses nothing since (w1, w2, b) can be scaled.
    """
    linprog = pytest.importorskip("scipy.optimize").linprog
    A = np.column_stack([XOR_POINTS, np.ones(4)])                 # rows (x1, x2, 1): z = A @ (w1, w2, b)
    sign = np.where(np.array(targets) == 1, -1.0, 1.0)           # -z <= -1 for ones, z <= 0 for zeros
    rhs = np.where(np.array(targets) == 1, -1.0, 0.0)
    result = linprog(np.zeros(3), A_ub=sign[:, None] * A, b_ub=rhs, bounds=[(None, None)] * 3, method="highs")
    assert (result.status == 0) is feasible, f"{gate}: linprog status {result.status} ({result.message})"
