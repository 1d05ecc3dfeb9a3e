"""Convolution and pooling from scratch (d2l §6.2–6.5), plus the output-shape arithmetic.

Everything here is written with loops and slicing so the sliding window is visible; the PyTorch
twins are ``F.conv2d``, ``F.max_pool2d`` and ``F.avg_pool2d`` (``tests/test_conv.py`` checks
that they agree). Deep-learning "convolution" is really cross-correlation: the kernel is not
flipped.

Shapes: single-channel inputs are ``(H, W)``, multi-channel ``(C, H, W)``; kernels ``(kh, kw)``,
``(C, kh, kw)`` or ``(C_out, C, kh, kw)``.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "corr2d",
    "corr2d_multi_in",
    "corr2d_multi_in_out",
    "corr2d_multi_in_out_1x1",
    "pool2d",
    "Conv2DScratch",
    "conv_output_shape",
    "check_conv_output_shape",
]


def _pair(value, name: str) -> tuple[int, int]:
    if isinstance(value, int):
        value = (value, value)
    if len(value) != 2 or not all(isinstance(v, int) for v in value):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(value[0]), int(value[1])


# --8<-- [start:corr2d]
def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    r"""2-D cross-correlation $Y_{i,j} = \sum_{a,b} X_{i+a,\,j+b} K_{a,b}$ (no padding, stride 1).

    Shapes: ``X`` ``(H, W)``, ``K`` ``(kh, kw)`` → ``Y`` ``(H - kh + 1, W - kw + 1)``.
    """
    if X.dim() != 2 or K.dim() != 2:
        raise ValueError(f"corr2d expects 2-D X and K, got {tuple(X.shape)} and {tuple(K.shape)}")
    h, w = K.shape
    if h > X.shape[0] or w > X.shape[1]:
        raise ValueError(f"kernel {tuple(K.shape)} is larger than the input {tuple(X.shape)}")
    rows = []
    for i in range(X.shape[0] - h + 1):
        row = [(X[i:i + h, j:j + w] * K).sum() for j in range(X.shape[1] - w + 1)]
        rows.append(torch.stack(row))
    return torch.stack(rows)  # (H - kh + 1, W - kw + 1)
# --8<-- [end:corr2d]


def corr2d_multi_in(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Cross-correlate each input channel with its own 2-D kernel and add the results.

    Shapes: ``X`` ``(C, H, W)``, ``K`` ``(C, kh, kw)`` → ``(H - kh + 1, W - kw + 1)``.
    """
    if X.dim() != 3 or K.dim() != 3 or X.shape[0] != K.shape[0]:
        raise ValueError(
            f"expected X (C, H, W) and K (C, kh, kw) with the same C, "
            f"got {tuple(X.shape)} and {tuple(K.shape)}"
        )
    return sum(corr2d(x, k) for x, k in zip(X, K, strict=True))


def corr2d_multi_in_out(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """One 3-D kernel per output channel.

    Shapes: ``X`` ``(C, H, W)``, ``K`` ``(C_out, C, kh, kw)`` → ``(C_out, H - kh + 1, W - kw + 1)``.
    """
    if K.dim() != 4:
        raise ValueError(f"K must be (C_out, C, kh, kw), got {tuple(K.shape)}")
    return torch.stack([corr2d_multi_in(X, k) for k in K])  # (C_out, H', W')


def corr2d_multi_in_out_1x1(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """A 1×1 convolution is a fully connected layer applied to every pixel: one matrix product.

    Shapes: ``X`` ``(C, H, W)``, ``K`` ``(C_out, C, 1, 1)`` → ``(C_out, H, W)``.
    """
    if K.dim() != 4 or K.shape[2:] != (1, 1) or K.shape[1] != X.shape[0]:
        raise ValueError(f"K must be (C_out, {X.shape[0]}, 1, 1), got {tuple(K.shape)}")
    c, h, w = X.shape
    X = X.reshape(c, h * w)  # (C, H*W): one column per pixel
    K = K.reshape(K.shape[0], c)  # (C_out, C)
    return (K @ X).reshape(-1, h, w)  # (C_out, H, W)


def pool2d(
    X: torch.Tensor,
    pool_size,
    mode: str = "max",
    stride=None,
    padding=0,
) -> torch.Tensor:
    """Max or average pooling of a 2-D input with a sliding window.

    Args:
        X: ``(H, W)``.
        pool_size: window ``(ph, pw)`` or an int.
        mode: ``"max"`` or ``"avg"``.
        stride: defaults to the window size, as in PyTorch (so windows do not overlap).
        padding: rows/columns added on each side: ``-inf`` for max, zeros for average
            (PyTorch's ``count_include_pad=True``).

    Returns ``(H', W')`` with ``H' = (H + 2p - ph) // s + 1``.
    """
    if X.dim() != 2:
        raise ValueError(f"pool2d expects a 2-D input (H, W), got shape {tuple(X.shape)}")
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    ph, pw = _pair(pool_size, "pool_size")
    sh, sw = _pair(stride if stride is not None else (ph, pw), "stride")
    pad_h, pad_w = _pair(padding, "padding")
    fill = float("-inf") if mode == "max" else 0.0
    X = nn.functional.pad(X, (pad_w, pad_w, pad_h, pad_h), value=fill)  # (H + 2p, W + 2p)
    out_h, out_w = (X.shape[0] - ph) // sh + 1, (X.shape[1] - pw) // sw + 1
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"window {(ph, pw)} does not fit the padded input {tuple(X.shape)}")
    Y = torch.zeros(out_h, out_w, dtype=X.dtype)
    for i in range(out_h):
        for j in range(out_w):
            window = X[i * sh:i * sh + ph, j * sw:j * sw + pw]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y


class Conv2DScratch(nn.Module):
    """A convolutional layer built on :func:`corr2d`: ``corr2d(X, weight) + bias``.

    Shapes: ``X`` ``(H, W)`` → ``(H - kh + 1, W - kw + 1)``.
    """

    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(_pair(kernel_size, "kernel_size")))  # (kh, kw)
        self.bias = nn.Parameter(torch.zeros(1))  # (1,)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return corr2d(X, self.weight) + self.bias


# --8<-- [start:conv-output-shape]
def conv_output_shape(h: int, w: int, kernel, padding=0, stride=1) -> tuple[int, int]:
    r"""Output height and width of a convolution (or pooling) layer.

    $$h' = \left\lfloor \frac{h - k_h + 2 p_h}{s_h} \right\rfloor + 1$$

    ``padding`` is added on *each* side, as in ``nn.Conv2d``. Raises ``ValueError`` when the
    kernel does not fit.
    """
    kh, kw = _pair(kernel, "kernel")
    ph, pw = _pair(padding, "padding")
    sh, sw = _pair(stride, "stride")
    if min(kh, kw, sh, sw) <= 0 or min(ph, pw) < 0:
        raise ValueError("kernel and stride must be positive and padding non-negative")
    out = ((h - kh + 2 * ph) // sh + 1, (w - kw + 2 * pw) // sw + 1)
    if h + 2 * ph < kh or w + 2 * pw < kw:
        raise ValueError(
            f"kernel {(kh, kw)} does not fit a {h}×{w} input with padding {(ph, pw)}"
        )
    return out
# --8<-- [end:conv-output-shape]


def check_conv_output_shape(h: int, w: int, kernel, padding=0, stride=1) -> tuple[int, int]:
    """Compute :func:`conv_output_shape` and confirm it with a real ``nn.Conv2d``.

    Returns the shape; raises ``AssertionError`` if formula and PyTorch disagree.
    """
    expected = conv_output_shape(h, w, kernel, padding, stride)
    conv = nn.Conv2d(1, 1, kernel_size=kernel, padding=padding, stride=stride, bias=False)
    with torch.no_grad():
        actual = tuple(conv(torch.zeros(1, 1, h, w)).shape[2:])  # (1, 1, h', w') -> (h', w')
    if actual != expected:
        raise AssertionError(f"formula gives {expected}, nn.Conv2d gives {actual}")
    return expected
