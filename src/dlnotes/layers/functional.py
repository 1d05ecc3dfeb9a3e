"""From-scratch versions of the functions that deep-learning code calls most.

Each has a PyTorch twin named in its docstring; ``tests/test_functional.py`` checks they agree,
on ordinary and on numerically hard inputs.
"""

from __future__ import annotations

import torch

__all__ = [
    "softmax",
    "log_softmax",
    "cross_entropy",
    "squared_loss",
    "l1_loss",
    "huber_loss",
    "relu",
    "sigmoid",
    "tanh",
    "accuracy",
    "sequence_mask",
    "masked_cross_entropy",
    "masked_softmax",
]


def _check_logits(name: str, logits: torch.Tensor) -> None:
    if logits.dim() != 2:
        raise ValueError(
            f"{name} expects logits of shape (batch, num_classes), got {tuple(logits.shape)}"
        )


def softmax(X: torch.Tensor) -> torch.Tensor:
    r"""Row-wise softmax of ``X`` ``(n, q)``: $\hat y_{ij} = \exp(o_{ij} - m_i) / \sum_k \exp(o_{ik} - m_i)$.

    Subtracting the row maximum $m_i$ leaves the result unchanged and keeps ``exp`` from
    overflowing for large logits. Twin: ``torch.softmax(X, dim=1)``.
    """
    _check_logits("softmax", X)
    X_shift = X - X.max(dim=1, keepdim=True).values  # (n, q), each row's max is 0
    X_exp = torch.exp(X_shift)  # (n, q), values in (0, 1]
    return X_exp / X_exp.sum(dim=1, keepdim=True)  # (n, q)


def log_softmax(X: torch.Tensor) -> torch.Tensor:
    r"""$\log \mathrm{softmax}(X)$ computed as $o - m - \log\sum\exp(o - m)$ (log-sum-exp trick).

    Twin: ``torch.log_softmax(X, dim=1)``.
    """
    _check_logits("log_softmax", X)
    X_shift = X - X.max(dim=1, keepdim=True).values  # (n, q)
    return X_shift - torch.log(torch.exp(X_shift).sum(dim=1, keepdim=True))  # (n, q)


def cross_entropy(logits: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""Cross-entropy $-\log \hat y_{i, y_i}$ from *logits* ``(n, q)`` and labels ``(n,)``.

    Works from logits through :func:`log_softmax`, so a probability that underflows to 0 gives a
    large finite loss instead of ``inf``. Twin: ``torch.nn.functional.cross_entropy``.
    """
    _check_logits("cross_entropy", logits)
    if y.shape != logits.shape[:1]:
        raise ValueError(
            f"labels must have shape ({logits.shape[0]},) to match logits {tuple(logits.shape)}, "
            f"got {tuple(y.shape)}"
        )
    losses = -log_softmax(logits)[torch.arange(len(y)), y]  # (n,)
    return _reduce(losses, reduction)


def squared_loss(y_hat: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""$\frac12 (\hat y - y)^2$ per element. Twin: ``0.5 * F.mse_loss``.

    ``y`` must have the same shape as ``y_hat``: a ``(n,)`` target against a ``(n, 1)``
    prediction would silently broadcast to ``(n, n)``, so it is refused.
    """
    _check_same_shape("squared_loss", y_hat, y)
    return _reduce((y_hat - y) ** 2 / 2, reduction)


def l1_loss(y_hat: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    r"""$|\hat y - y|$ per element. Twin: ``F.l1_loss``."""
    _check_same_shape("l1_loss", y_hat, y)
    return _reduce((y_hat - y).abs(), reduction)


def huber_loss(
    y_hat: torch.Tensor, y: torch.Tensor, delta: float = 1.0, reduction: str = "mean"
) -> torch.Tensor:
    r"""Huber loss: $\frac12 r^2$ for $|r| \le \delta$, else $\delta(|r| - \frac12\delta)$.

    Twin: ``F.huber_loss(y_hat, y, delta=delta)``.
    """
    _check_same_shape("huber_loss", y_hat, y)
    r = (y_hat - y).abs()
    losses = torch.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))
    return _reduce(losses, reduction)


def relu(X: torch.Tensor) -> torch.Tensor:
    """$\\max(x, 0)$ elementwise. Twin: ``torch.relu``."""
    return torch.maximum(X, torch.zeros_like(X))


def sigmoid(X: torch.Tensor) -> torch.Tensor:
    r"""$1 / (1 + e^{-x})$, written so that neither branch overflows. Twin: ``torch.sigmoid``."""
    pos = X >= 0
    z = torch.exp(-X.abs())  # in (0, 1]
    return torch.where(pos, 1 / (1 + z), z / (1 + z))


def tanh(X: torch.Tensor) -> torch.Tensor:
    r"""$(1 - e^{-2x}) / (1 + e^{-2x})$ via :func:`sigmoid`: $\tanh x = 2\sigma(2x) - 1$."""
    return 2 * sigmoid(2 * X) - 1


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows of ``y_hat`` ``(n, q)`` whose arg-max equals ``y`` ``(n,)``."""
    _check_logits("accuracy", y_hat)
    return (y_hat.argmax(dim=1) == y).float().mean().item()


def sequence_mask(X: torch.Tensor, valid_len: torch.Tensor, value: float = 0.0) -> torch.Tensor:
    """Set the entries of ``X`` ``(B, T, ...)`` past each row's valid length to ``value``.

    ``valid_len`` ``(B,)``: row ``b`` keeps positions ``0 … valid_len[b] - 1``. Returns a new tensor.
    """
    if valid_len.shape != X.shape[:1]:
        raise ValueError(f"valid_len must have shape ({X.shape[0]},), got {tuple(valid_len.shape)}")
    T = X.shape[1]
    keep = torch.arange(T, device=X.device)[None, :] < valid_len[:, None]  # (B, T)
    keep = keep.reshape(keep.shape + (1,) * (X.dim() - 2))  # (B, T, 1, …)
    return torch.where(keep, X, torch.as_tensor(value, dtype=X.dtype, device=X.device))


def masked_cross_entropy(logits: torch.Tensor, Y: torch.Tensor, valid_len: torch.Tensor) -> torch.Tensor:
    r"""Mean cross-entropy over the valid tokens only: $\frac{1}{\sum_b L_b}\sum_b\sum_{t<L_b}
    -\log \mathrm{softmax}(\mathbf o_{b,t})_{y_{b,t}}$.

    Shapes: ``logits`` ``(B, T, V)``, ``Y`` ``(B, T)``, ``valid_len`` ``(B,)``. Padding never changes
    the result. Twin: ``F.cross_entropy(..., ignore_index=pad)`` when padding uses a pad index.
    """
    if logits.shape[:2] != Y.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and Y {tuple(Y.shape)} disagree on (B, T)")
    logp = log_softmax(logits.reshape(-1, logits.shape[-1])).reshape(logits.shape)  # (B, T, V)
    per_token = -logp.gather(-1, Y.unsqueeze(-1)).squeeze(-1)  # (B, T)
    mask = sequence_mask(torch.ones_like(per_token), valid_len)  # (B, T): 1 valid, 0 padding
    count = mask.sum()
    if count == 0:
        raise ValueError("every sequence has valid length 0: nothing to average")
    return (per_token * mask).sum() / count


# --8<-- [start:masked-softmax]
def masked_softmax(X: torch.Tensor, valid_lens: torch.Tensor | None = None,
                   keep: torch.Tensor | None = None) -> torch.Tensor:
    r"""Softmax over the last axis of the scores ``X`` ``(B, Q, K)``, with padded keys weighted 0.

    ``valid_lens`` ``(B,)``: row ``b`` may look at keys ``0 … valid_lens[b] - 1`` for every query;
    ``(B, Q)``: a valid length per query. ``keep`` (bool, broadcastable to ``X``, e.g. a causal
    ``(Q, K)`` mask) removes further keys where it is False. Masked scores become the most negative
    float, so $\exp$ sends them to exactly 0 and each row sums to 1 over the keys it keeps; a row
    that keeps no key at all gets uniform weights (it must not be used). Twin: ``torch.softmax``
    after ``masked_fill(~mask, -inf)``, which gives NaN for such a row instead.
    """
    if X.dim() != 3:
        raise ValueError(f"masked_softmax expects scores of shape (B, Q, K), got {tuple(X.shape)}")
    B, Q, K = X.shape
    mask = torch.ones(X.shape, dtype=torch.bool, device=X.device)  # (B, Q, K): True = keep
    if valid_lens is not None:
        if valid_lens.shape not in ((B,), (B, Q)):
            raise ValueError(f"valid_lens must have shape ({B},) or ({B}, {Q}) for scores "
                             f"{tuple(X.shape)}, got {tuple(valid_lens.shape)}")
        lens = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None].expand(B, Q)  # (B, Q)
        mask = mask & (torch.arange(K, device=X.device) < lens[..., None])  # (B, Q, K)
    if keep is not None:
        mask = mask & keep.to(torch.bool)
    X = X.masked_fill(~mask, torch.finfo(X.dtype).min)
    return torch.softmax(X, dim=-1)  # (B, Q, K)
# --8<-- [end:masked-softmax]


def _check_same_shape(name: str, y_hat: torch.Tensor, y: torch.Tensor) -> None:
    if y_hat.shape != y.shape:
        raise ValueError(
            f"{name}: y_hat has shape {tuple(y_hat.shape)} but y has shape {tuple(y.shape)}; "
            "reshape y (e.g. y.reshape(y_hat.shape)) so they match instead of broadcasting"
        )


def _reduce(losses: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
