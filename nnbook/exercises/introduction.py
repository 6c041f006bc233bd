"""Exercises of the chapter "Introduction: from a neuron to large models" (``introduction.ex1`` ... ``ex7``).

Counting parameters, bytes and FLOPs. Reference solutions are in
``solutions/introduction.py``; wrong answers are tested in
``tests/nnbook/test_exercises_introduction.py``.
"""
from .core import Case, Exercise, register

__all__ = []


def _widths(rng, n_layers, low=1, high=300):
    return tuple(int(w) for w in rng.integers(low, high, size=n_layers + 1))


def _ex1_cases(rng):
    return [
        Case("normal", (_widths(rng, 3),)),
        Case("the 784-16-16-10 network of source 003", ((784, 16, 16, 10),)),
        Case("one layer (no hidden layer)", (_widths(rng, 1),)),
        Case("one unit per layer", ((1, 1, 1, 1),)),
        Case("large widths", (_widths(rng, 4, low=1000, high=5000),)),
    ]


register(Exercise(
    id="introduction.ex1", kind="function", title="Count the parameters of a fully connected network",
    answer_name="count_params", output="scalar", cases=_ex1_cases, rtol=0.0, atol=0.0,
    statement=r"""
Write `count_params(widths)` returning the **total** number of parameters (weights and
biases) of a fully connected network whose layer widths are `widths`, a tuple of
integers $(D_0, D_1, \dots, D_L)$ from the input to the output. For example
`count_params((784, 16, 16, 10))` is 13002.

- Layer $\ell$ connects $D_{\ell-1}$ units to $D_\ell$ units;
- every unit except those of the input layer has one bias;
- return one integer (a Python `int` is best).
""",
    hints=(
        "Go through consecutive pairs of widths: `zip(widths[:-1], widths[1:])` gives (D_in, D_out) for each layer.",
        "A layer from D_in to D_out units has D_in * D_out weights and D_out biases.",
        "`sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))`.",
    ),
))


register(Exercise(
    id="introduction.ex2", kind="value", title="The network of source 001",
    answer_name="params_784_128_10", reference="params_784_128_10", rtol=0.0, atol=0.0,
    statement="""
Source 001's PyTorch example is `Linear(784, 128)`, a ReLU, then `Linear(128, 10)`.
How many parameters does it have? Set `params_784_128_10` to that number
(compute it by hand or with your `count_params`).
""",
    hints=(
        "Two layers: 784 -> 128 and 128 -> 10. Each has a weight matrix and a bias vector.",
        "784 * 128 + 128 weights and biases in the first layer; add those of the second.",
    ),
))


register(Exercise(
    id="introduction.ex3", kind="value", title="Bytes of a 7-billion-parameter model",
    answer_name="bytes_7b_bf16", reference="bytes_7b_bf16", rtol=1e-6, atol=0.0,
    statement="""
A model has $7 \\times 10^9$ parameters stored in bfloat16. How many **bytes** do its
weights take? Set `bytes_7b_bf16` to that number of bytes (not gigabytes). The check
accepts a relative error up to $10^{-6}$.
""",
    hints=(
        "bfloat16 is a 16-bit format. How many bytes is 16 bits?",
        "2 bytes per parameter: multiply 7e9 by 2.",
    ),
))


register(Exercise(
    id="introduction.ex4", kind="choice", title="What 6ND estimates",
    answer_name="six_nd_means", reference="six_nd_means",
    options={
        "a": "the bytes of memory needed to train a model with $N$ parameters on $D$ tokens",
        "b": "the floating-point operations of one forward pass over $D$ tokens, without training",
        "c": "the floating-point operations of training: a forward and a backward pass for each of "
             "the $D$ tokens, about $2N + 4N$ per token",
        "d": "the number of GPU-days needed to train the model",
    },
    statement=r"""
Kaplan et al. estimate the cost of training a model with $N$ parameters on $D$ tokens
as $C \approx 6ND$. What does $C$ count? Set `six_nd_means` to the letter of your choice.
""",
    hints=(
        "Look at the units: N is a number of parameters and D a number of tokens; nothing in 6ND is a byte or a day.",
        "A forward pass costs about 2 operations per parameter per token. What are the other 4?",
    ),
))


register(Exercise(
    id="introduction.ex5", kind="value", title="Training compute of Chinchilla",
    # 5 %: one significant digit (6e23, 2 % off) and anything closer (5.9e23, 5.88e23) pass;
    # 5e23 (15 % off), 7e23 (19 %), 2ND and 3ND fail.
    answer_name="chinchilla_flops", reference="chinchilla_flops", rtol=0.05, atol=0.0,
    statement=r"""
Chinchilla has $N = 70 \times 10^9$ parameters and was trained on $D = 1.4 \times 10^{12}$
tokens. Estimate its training compute in FLOPs with $C \approx 6ND$ and set
`chinchilla_flops` to it. One significant digit is enough: any value within 5% of
$6ND$ is accepted.
""",
    hints=(
        "Multiply: 6 * N * D, with N = 70e9 and D = 1.4e12.",
        "The answer is a little under 6e23.",
    ),
))


_BUGGY_COUNTER = '''
def count_layer_params(layers):
    """Parameters of fully connected layers given as (in_features, out_features) pairs."""
    total = 0
    for n_in, n_out in layers:
        total += n_in * n_out + n_in     # weights + biases
    return total
'''


def _ex6_cases(rng):
    def chain(widths):
        return (tuple(zip(widths[:-1], widths[1:])),)
    return [
        Case("normal", chain(_widths(rng, 3))),
        Case("the 784-128-10 network of source 001", (((784, 128), (128, 10)),)),
        Case("one layer", chain(_widths(rng, 1))),
        Case("one output unit", chain(_widths(rng, 2) + (1,))),
        Case("large layers", chain(_widths(rng, 3, low=1000, high=5000))),
    ]


register(Exercise(
    id="introduction.ex6", kind="bug", title="Find the bug in a parameter counter",
    answer_name="count_layer_params", output="scalar", cases=_ex6_cases, buggy=_BUGGY_COUNTER,
    rtol=0.0, atol=0.0, setup="",
    statement=r"""
This function counts the parameters of a network described layer by layer, as
PyTorch's `nn.Linear(in_features, out_features)` describes it, e.g.
`((784, 128), (128, 10))` for source 001's network. It has one bug: for that
network it answers 102,544 instead of 101,770. Fix it.
""",
    hints=(
        "Which neurons have a bias: those that receive the layer's inputs, or those that compute its outputs?",
        "Source 003 counts 42 biases for 784-16-16-10: the 784 input pixels have none. "
        "A layer has one bias per output unit.",
        "`total += n_in * n_out + n_out`.",
    ),
))


register(Exercise(
    id="introduction.ex7", kind="choice", title="Bigger is not automatically better",
    answer_name="gopher_vs_chinchilla", reference="gopher_vs_chinchilla",
    options={
        "a": "more parameters always give a better model",
        "b": "for a fixed compute budget, parameters and training tokens have to be balanced: "
             "a smaller model trained on more tokens was the better use of the same compute",
        "c": "Chinchilla was better because it cost much less compute to train",
        "d": "the amount of training data matters only for small models",
    },
    statement=r"""
Gopher has 280 billion parameters and was trained on 300 billion tokens; Chinchilla
has 70 billion parameters and was trained on 1.4 trillion tokens. Both cost about the
same compute ($6ND \approx 5 \times 10^{23}$ and $6 \times 10^{23}$ FLOPs), and Chinchilla
did better on most of the tasks it was evaluated on. What does this show? Set
`gopher_vs_chinchilla` to the letter of your choice.
""",
    hints=(
        "Compute 6ND for both models: is one of them much cheaper?",
        "Chinchilla has 4 times fewer parameters but saw almost 5 times more tokens.",
    ),
))
