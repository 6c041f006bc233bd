"""The layer protocol every ``nnlib`` module follows.

A :class:`Module` maps an input batch to an output batch with ``forward`` and
maps the gradient of the loss with respect to its output back to the
gradient with respect to its input with ``backward``. Along the way
``backward`` *adds* the gradients of the module's own parameters to their
``.grad`` arrays, exactly as PyTorch accumulates them, so a training step is::

    model.zero_grad()
    y = model(x)
    model.backward(loss_grad(y, target))
    optimizer.step()
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ._validate import as_float_array


class Parameter:
    """A trainable array and the gradient accumulated for it.

    Attributes
    ----------
    data : ndarray
        The value, float32 or float64.
    grad : ndarray
        Same shape and dtype as ``data``; ``backward`` adds into it and
        ``zero_grad`` sets it to zero.
    """

    def __init__(self, data):
        self.data = as_float_array(data, "data")
        if not self.data.flags.writeable or not self.data.flags.c_contiguous:
            self.data = np.ascontiguousarray(self.data).copy()
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def zero_grad(self) -> None:
        self.grad.fill(0.0)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of layers and models.

    Subclasses implement ``forward(x)`` and ``backward(grad_out)``, register
    parameters by assigning :class:`Parameter` attributes and sub-modules by
    assigning :class:`Module` attributes (in the order PyTorch would list
    them), and keep in ``self._cache`` only what ``backward`` needs.
    """

    training: bool = True

    def __init__(self):
        self.training = True

    # -- the protocol -------------------------------------------------
    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad_out):
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, x):
        return self.forward(x)

    # -- parameters and sub-modules -----------------------------------
    def named_children(self):
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def named_parameters(self, prefix: str = ""):
        """Yield ``(name, Parameter)`` pairs, own parameters first, then children's."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child.named_parameters(prefix + name + ".")

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> "Module":
        self.training = bool(mode)
        for _, child in self.named_children():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    # -- persistence --------------------------------------------------
    def _named_buffers(self, prefix: str = ""):
        """Non-trainable state (e.g. BatchNorm's running statistics)."""
        for name in getattr(self, "_buffer_names", ()):
            yield prefix + name, getattr(self, name)
        for name, child in self.named_children():
            yield from child._named_buffers(prefix + name + ".")

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of all parameters and buffers, keyed by dotted names."""
        state = OrderedDict((k, p.data.copy()) for k, p in self.named_parameters())
        state.update((k, np.array(v, copy=True)) for k, v in self._named_buffers())
        return state

    def load_state_dict(self, state) -> None:
        """Load arrays produced by :meth:`state_dict` (names and shapes must match)."""
        params = dict(self.named_parameters())
        buffers = dict(self._named_buffers())
        expected = set(params) | set(buffers)
        missing, unexpected = expected - set(state), set(state) - expected
        if missing or unexpected:
            raise ValueError(
                f"state_dict does not match {type(self).__name__}: "
                f"missing keys {sorted(missing)}, unexpected keys {sorted(unexpected)}"
            )
        for key, value in state.items():
            value = np.asarray(value)
            target = params[key].data if key in params else buffers[key]
            if np.shape(target) != value.shape:
                raise ValueError(f"state_dict[{key!r}] has shape {value.shape}, expected {np.shape(target)}")
            if key in params:
                params[key].data[...] = value
            else:
                self._set_buffer(key, value)

    def _set_buffer(self, dotted: str, value) -> None:
        owner, name = self, dotted
        while "." in name:
            head, name = name.split(".", 1)
            owner = getattr(owner, head)
        current = getattr(owner, name)
        if isinstance(current, np.ndarray):
            current[...] = value
        else:
            setattr(owner, name, type(current)(value))

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            lines.append("  (" + name + "): " + repr(child).replace("\n", "\n  "))
        lines.append(")")
        return "\n".join(lines)


class Sequential(Module):
    """Modules applied one after the other; ``backward`` runs them in reverse."""

    def __init__(self, *modules: Module):
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential argument {i} must be a Module, got {type(m).__name__}")
            setattr(self, str(i), m)
        self._modules = list(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, i) -> Module:
        return self._modules[i]

    def __iter__(self):
        return iter(self._modules)

    def forward(self, x):
        for m in self._modules:
            x = m.forward(x)
        return x

    def backward(self, grad_out):
        for m in reversed(self._modules):
            grad_out = m.backward(grad_out)
        return grad_out
