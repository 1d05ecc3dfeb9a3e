"""LoRA: low-rank adaptation of a frozen linear layer (Hu et al., 2021; §15.6–15.7).

A pretrained ``nn.Linear`` computes $\\mathbf y = \\mathbf x\\mathbf W^\\top + \\mathbf b$ with
$\\mathbf W\\in\\mathbb R^{d_\\text{out}\\times d_\\text{in}}$. LoRA freezes $\\mathbf W$ and
$\\mathbf b$ and learns only a low-rank update $\\Delta\\mathbf W = \\frac{\\alpha}{r}\\mathbf B\\mathbf A$:

$$\\mathbf y = \\mathbf x\\mathbf W^\\top + \\mathbf b + \\frac{\\alpha}{r}\\,\\mathbf x\\mathbf A^\\top\\mathbf B^\\top,
\\qquad \\mathbf A\\in\\mathbb R^{r\\times d_\\text{in}},\\ \\mathbf B\\in\\mathbb R^{d_\\text{out}\\times r}.$$

$\\mathbf A$ starts random and $\\mathbf B$ at zero, so at the start the adapted layer computes exactly
what the frozen one did; an adapted layer trains $r(d_\\text{in}+d_\\text{out})$ numbers instead of
$d_\\text{in}d_\\text{out}$. After training, $\\Delta\\mathbf W$ is added into $\\mathbf W$
(:meth:`LoRALinear.merged_linear`): the merged model is a plain ``nn.Linear`` again and costs
nothing extra at inference.

Twin: :meth:`LoRALinear.merged_linear` (one ``nn.Linear`` with $\\mathbf W + \\frac{\\alpha}{r}\\mathbf B\\mathbf A$)
computes the same function as the unmerged layer (``tests/test_lora.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

__all__ = ["LoRALinear", "apply_lora", "merge_lora", "lora_layers", "num_trainable", "lora_num_params"]


# --8<-- [start:lora-linear]
class LoRALinear(nn.Module):
    r"""A frozen ``base`` linear layer plus a trainable low-rank update:
    $\mathbf y = \mathrm{base}(\mathbf x) + \frac{\alpha}{r}\,\mathbf x\mathbf A^\top\mathbf B^\top$.

    ``A`` ``(r, d_in)`` is initialised like ``nn.Linear`` initialises its weight (Kaiming uniform, as in
    the authors' ``loralib``; the paper says "random Gaussian": any random start works because ``B`` is
    zero), ``B`` ``(d_out, r)`` is zero. Shapes: ``x`` ``(..., d_in)`` -> ``(..., d_out)``.
    """

    def __init__(self, base: nn.Linear, rank: int, alpha: float | None = None):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise TypeError(f"LoRALinear adapts an nn.Linear, got {type(base).__name__}")
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
            raise ValueError(f"LoRA rank must be an integer >= 1, got {rank!r}")
        if rank > min(base.in_features, base.out_features):
            raise ValueError(f"LoRA rank {rank} exceeds min(d_in, d_out) = "
                             f"{min(base.in_features, base.out_features)}: that is no longer low-rank")
        alpha = float(rank if alpha is None else alpha)
        if not math.isfinite(alpha) or alpha <= 0:
            raise ValueError(f"LoRA alpha must be a positive number, got {alpha}")
        self.base = base
        for p in self.base.parameters():  # the pretrained weight and bias stay as they are
            p.requires_grad_(False)
        self.rank, self.alpha, self.scaling = rank, alpha, alpha / rank
        w = base.weight
        self.A = nn.Parameter(torch.empty(rank, base.in_features, dtype=w.dtype, device=w.device))
        self.B = nn.Parameter(torch.zeros(base.out_features, rank, dtype=w.dtype, device=w.device))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.base.in_features:
            raise ValueError(f"LoRALinear expects inputs (..., {self.base.in_features}), got {tuple(x.shape)}")
        # x (..., d_in) @ A^T (d_in, r) -> (..., r); @ B^T (r, d_out) -> (..., d_out)
        return self.base(x) + self.scaling * ((x @ self.A.T) @ self.B.T)

    def delta_weight(self) -> torch.Tensor:
        r"""$\Delta\mathbf W = \frac{\alpha}{r}\mathbf B\mathbf A$, shape ``(d_out, d_in)`` like ``base.weight``."""
        return self.scaling * (self.B @ self.A)

    def merged_linear(self) -> nn.Linear:
        r"""A new ``nn.Linear`` with weight $\mathbf W + \frac{\alpha}{r}\mathbf B\mathbf A$ and the same bias."""
        merged = nn.Linear(self.base.in_features, self.base.out_features, bias=self.base.bias is not None,
                           device=self.base.weight.device, dtype=self.base.weight.dtype)
        with torch.no_grad():
            merged.weight.copy_(self.base.weight + self.delta_weight())
            if self.base.bias is not None:
                merged.bias.copy_(self.base.bias)
        return merged

    merge = merged_linear

    def extra_repr(self) -> str:
        return f"rank={self.rank}, alpha={self.alpha:g}"
# --8<-- [end:lora-linear]


def lora_num_params(linear: nn.Linear, rank: int) -> int:
    """Numbers LoRA trains in one adapted layer: $r(d_\\text{in} + d_\\text{out})$."""
    return rank * (linear.in_features + linear.out_features)


def num_trainable(module: nn.Module) -> int:
    """How many parameters of ``module`` have ``requires_grad`` (shared ones counted once)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


# --8<-- [start:apply-lora]
def apply_lora(model: nn.Module, targets: Iterable[str], rank: int, alpha: float | None = None,
               freeze: bool = True) -> list[LoRALinear]:
    """Replace each ``nn.Linear`` named in ``targets`` (dotted paths such as
    ``"blocks.5.attention.W_q"``) by a :class:`LoRALinear` around it, in place.

    With ``freeze=True`` every parameter of ``model`` is frozen first, so afterwards only the
    adapters' ``A`` and ``B`` train (a head kept outside ``model`` is not touched). Returns the
    adapters in the order of ``targets``.
    """
    targets = list(targets)
    if not targets:
        raise ValueError("apply_lora needs at least one target module name")
    modules = dict(model.named_modules())
    missing = [t for t in targets if t not in modules]
    if missing:
        raise KeyError(f"no submodule named {missing} in {type(model).__name__}")
    if freeze:
        model.requires_grad_(False)
    adapters = []
    for name in targets:
        parent_name, _, child = name.rpartition(".")
        parent = modules[parent_name] if parent_name else model
        adapter = LoRALinear(modules[name], rank, alpha)  # raises unless it is an nn.Linear
        setattr(parent, child, adapter)
        adapters.append(adapter)
    return adapters
# --8<-- [end:apply-lora]


def lora_layers(model: nn.Module) -> dict[str, LoRALinear]:
    """The :class:`LoRALinear` submodules of ``model`` by name."""
    return {name: m for name, m in model.named_modules() if isinstance(m, LoRALinear)}


def merge_lora(model: nn.Module) -> nn.Module:
    """Replace every :class:`LoRALinear` in ``model`` by its :meth:`~LoRALinear.merged_linear`, in place;
    returns ``model`` (or the merged ``nn.Linear`` when ``model`` is itself a :class:`LoRALinear`). The
    merged weights are frozen like the rest of the base model."""
    if isinstance(model, LoRALinear):
        return model.merged_linear().requires_grad_(False)
    for name, layer in lora_layers(model).items():
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        merged = layer.merged_linear().requires_grad_(False)
        setattr(parent, child, merged)
    return model
