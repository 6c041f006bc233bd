"""Hidden test cases of the `logistic` assignment: the grader reads them, students never see them.

HIDDEN maps a question id to a list of cases, or to a function of a random
generator that returns them: that one is drawn for each student from the
grader's secret seed (`nnbook grade --seed`).
"""
import numpy as np

from nnbook.assignments import case


def _gradient_cases(rng):
    X = rng.normal(size=(16, 5))
    return [case("large batch", X, (rng.random(16) < 0.5).astype(float), rng.normal(size=5), weight=2)]


HIDDEN = {
    "q1": [case("large magnitudes", np.array([-800.0, -50.0, 50.0, 800.0]), weight=2)],
    "q2": [case("many examples", np.linspace(0.05, 0.95, 10), np.array([0.0, 1.0] * 5))],
    "q3": _gradient_cases,
}
