"""Reference solutions of the introduction chapter's exercises (``introduction.ex1`` ... ``ex7``).

Shown by ``solution("introduction.exN")`` only when a reader asks; imported by
``check`` to compute expected answers; blocked inside the grader's runner.
"""


def count_params(widths):
    """ex1: D_in * D_out weights and D_out biases for every pair of consecutive layers."""
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))


def params_784_128_10():
    """ex2: (784 * 128 + 128) + (128 * 10 + 10)."""
    return (784 * 128 + 128) + (128 * 10 + 10)


def bytes_7b_bf16():
    """ex3: bfloat16 takes 16 bits = 2 bytes per parameter."""
    return 7e9 * 2


def six_nd_means():
    """ex4: training FLOPs, 2N per token forward and about 4N backward."""
    return "c"


def chinchilla_flops():
    """ex5: C = 6 N D."""
    return 6 * 70e9 * 1.4e12


def count_layer_params(layers):
    """ex6 (fixed): a layer has one bias per *output* unit, none per input."""
    total = 0
    for n_in, n_out in layers:
        total += n_in * n_out + n_out     # weights + biases
    return total


def gopher_vs_chinchilla():
    """ex7: same compute, 4x fewer parameters, almost 5x more tokens, better results."""
    return "b"
