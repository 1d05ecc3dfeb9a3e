r"""Transposed convolution from scratch (d2l §13.10), as a scatter-add and as a matrix.

A convolution *gathers*: each output pixel is a weighted sum of a window of inputs. A transposed
convolution *scatters*: each input pixel $x_{ij}$ adds a copy of the kernel scaled by itself to
the output window that starts at $(s\,i, s\,j)$,

$$Y_{s i + a,\; s j + b} \mathrel{+}= x_{ij}\, K_{ab}, \qquad 0 \le a < k_h,\ 0 \le b < k_w,$$

so an ``H × W`` input becomes ``(H - 1)s + k_h`` by ``(W - 1)s + k_w``; padding $p$ then *removes*
$p$ rows and columns from every border: $H' = (H - 1)s + k_h - 2p$.

If a convolution is written as a matrix $\mathbf W$ acting on the flattened input
(``conv_matrix``), the transposed convolution with the same kernel is $\mathbf W^\top$: hence the
name. Twins: ``torch.nn.ConvTranspose2d`` / ``F.conv_transpose2d`` (``tests/test_transposed_conv.py``).

Shapes: single channel ``(H, W)`` with kernel ``(kh, kw)``; batched ``(N, C_in, H, W)`` with
weight ``(C_in, C_out, kh, kw)`` (torch's layout for transposed convolutions).
"""

from __future__ import annotations

import torch

__all__ = ["trans_conv", "conv_transpose2d", "conv_matrix", "bilinear_kernel"]


# --8<-- [start:trans-conv]
def trans_conv(X: torch.Tensor, K: torch.Tensor, stride: int = 1, padding: int = 0) -> torch.Tensor:
    r"""Single-channel transposed convolution by its definition: every input pixel adds
    ``X[i, j] * K`` to the output window at ``(stride·i, stride·j)``; ``padding`` crops the border.

    Shapes: ``X`` ``(H, W)``, ``K`` ``(kh, kw)`` → ``((H-1)s + kh - 2p, (W-1)s + kw - 2p)``.
    """
    if X.dim() != 2 or K.dim() != 2:
        raise ValueError(f"trans_conv expects 2-D X and K, got {tuple(X.shape)} and {tuple(K.shape)}")
    _check(stride, padding)
    (H, W), (h, w) = X.shape, K.shape
    Y = X.new_zeros((H - 1) * stride + h, (W - 1) * stride + w)
    for i in range(H):
        for j in range(W):
            r, c = i * stride, j * stride
            Y[r:r + h, c:c + w] += X[i, j] * K  # scatter a scaled copy of the kernel
    return _crop(Y, padding)
# --8<-- [end:trans-conv]


def _check(stride: int, padding: int) -> None:
    if stride < 1 or padding < 0:
        raise ValueError(f"stride must be ≥ 1 and padding ≥ 0, got stride={stride}, padding={padding}")


def _crop(Y: torch.Tensor, padding: int) -> torch.Tensor:
    if padding == 0:
        return Y
    if 2 * padding >= min(Y.shape[-2:]):
        raise ValueError(f"padding {padding} removes the whole {tuple(Y.shape[-2:])} output")
    return Y[..., padding:-padding, padding:-padding]


# --8<-- [start:conv-transpose2d]
def conv_transpose2d(X: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                     stride: int = 1, padding: int = 0) -> torch.Tensor:
    r"""Batched, multi-channel transposed convolution, the twin of ``F.conv_transpose2d``.

    The same scatter-add, organised by kernel offset instead of by input pixel: for each $(a, b)$
    the whole input, mixed across channels by ``weight[:, :, a, b]``, lands on the output grid
    $(a + s i,\; b + s j)$. Shapes: ``X`` ``(N, C_in, H, W)``, ``weight`` ``(C_in, C_out, kh, kw)``,
    ``bias`` ``(C_out,)`` → ``(N, C_out, (H-1)s + kh - 2p, (W-1)s + kw - 2p)``.
    """
    if X.dim() != 4 or weight.dim() != 4 or X.shape[1] != weight.shape[0]:
        raise ValueError(f"expected X (N, C_in, H, W) and weight (C_in, C_out, kh, kw) with the same "
                         f"C_in, got {tuple(X.shape)} and {tuple(weight.shape)}")
    _check(stride, padding)
    N, _, H, W = X.shape
    _, C_out, h, w = weight.shape
    Y = X.new_zeros(N, C_out, (H - 1) * stride + h, (W - 1) * stride + w)
    for a in range(h):
        for b in range(w):
            mixed = torch.einsum("nchw,co->nohw", X, weight[:, :, a, b])  # (N, C_out, H, W)
            Y[:, :, a:a + (H - 1) * stride + 1:stride, b:b + (W - 1) * stride + 1:stride] += mixed
    if bias is not None:
        Y = Y + bias[:, None, None]  # (C_out, 1, 1) broadcast
    return _crop(Y, padding)
# --8<-- [end:conv-transpose2d]


# --8<-- [start:conv-matrix]
def conv_matrix(K: torch.Tensor, input_shape: tuple[int, int]) -> torch.Tensor:
    r"""The matrix $\mathbf W$ of a single-channel convolution (stride 1, no padding):
    ``conv(X, K).flatten() == W @ X.flatten()``. Row $r$ belongs to output pixel $(i, j)$ and holds
    the kernel at the columns of the input window it reads.

    Shapes: ``K`` ``(kh, kw)``, input ``(H, W)`` → ``W`` ``((H-kh+1)(W-kw+1), H·W)``.
    """
    if K.dim() != 2:
        raise ValueError(f"K must be (kh, kw), got {tuple(K.shape)}")
    (H, W), (h, w) = input_shape, K.shape
    if h > H or w > W:
        raise ValueError(f"kernel {tuple(K.shape)} is larger than the input {input_shape}")
    out_h, out_w = H - h + 1, W - w + 1
    M = K.new_zeros(out_h * out_w, H * W)
    for i in range(out_h):
        for j in range(out_w):
            window = M[i * out_w + j].view(H, W)  # this row seen as an input-sized image
            window[i:i + h, j:j + w] = K
    return M
# --8<-- [end:conv-matrix]


# --8<-- [start:bilinear-kernel]
def bilinear_kernel(in_channels: int, out_channels: int, kernel_size: int) -> torch.Tensor:
    r"""Weights ``(C_in, C_out, k, k)`` that make a transposed convolution with stride
    $s = k/2$ (padding $s/2$) upsample each channel by bilinear interpolation:

    $$K_{ab} = \Big(1 - \frac{|a - c|}{f}\Big)\Big(1 - \frac{|b - c|}{f}\Big),\quad
      f = \lceil k/2 \rceil,\; c = \begin{cases} f - 1 & k \text{ odd}\\ f - \tfrac12 & k \text{ even}\end{cases}$$

    on the diagonal (channel $i$ → channel $i$), zero elsewhere.
    """
    if in_channels != out_channels:
        raise ValueError(f"bilinear upsampling keeps the channels: in {in_channels} != out {out_channels}")
    if kernel_size < 1:
        raise ValueError(f"kernel_size must be positive, got {kernel_size}")
    f = (kernel_size + 1) // 2
    center = f - 1 if kernel_size % 2 == 1 else f - 0.5
    t = 1 - (torch.arange(kernel_size, dtype=torch.float32) - center).abs() / f  # (k,) a tent
    tent = t[:, None] * t[None, :]  # (k, k)
    weight = torch.zeros(in_channels, out_channels, kernel_size, kernel_size)
    weight[range(in_channels), range(out_channels)] = tent
    return weight
# --8<-- [end:bilinear-kernel]

