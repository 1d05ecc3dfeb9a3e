r"""BERT's masked-language-model corruption (Devlin et al., 2019), shared by §10.8 and §14.9–14.10.

A random set $M$ of about 15% of the positions is chosen; a chosen position becomes ``[MASK]`` with
probability 0.8, a random token with 0.1, and stays as it is with 0.1 (the "80/10/10 rule"); its
target is the original token. Positions outside $M$ get the target :data:`IGNORE`, so the loss
$\mathcal L = -\frac1{|M|}\sum_{t\in M}\log p(w_t \mid \tilde w)$ scores only the chosen ones.
Shapes: tokens, inputs and targets ``(B, T)``.
"""

from __future__ import annotations

import torch

__all__ = ["IGNORE", "mask_tokens"]

IGNORE = -100  # a target that is not scored (F.cross_entropy's default ignore_index)


# --8<-- [start:mask-tokens]
def mask_tokens(tokens: torch.Tensor, mask_id: int, vocab_size: int, generator: torch.Generator, *,
                rate: float = 0.15, low: int = 1,
                candidates: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's corruption of ``tokens`` ``(B, T)``: returns the input ``X`` and the targets ``Y``.

    Each position is chosen with probability ``rate``. A chosen position becomes ``mask_id`` with
    probability 0.8, a random token of ``[low, vocab_size)`` with 0.1 (``low=1`` skips ``<unk>``,
    index 0 of a :class:`Vocab`), and stays as it is with 0.1; its target is the original token.
    Positions not chosen keep their token and get the target :data:`IGNORE`. ``candidates``
    (bool ``(B, T)``, optional) limits the choice to its True positions (not ``[CLS]``, ``[SEP]``
    or padding, say).
    """
    if not 0 <= low < vocab_size or low <= mask_id < vocab_size:
        raise ValueError(f"mask_id {mask_id} must lie outside the vocabulary of {vocab_size} tokens "
                         f"(use mask_id = {vocab_size} and a model with {vocab_size + 1} tokens)")
    if bool((tokens == mask_id).any()):
        raise ValueError(f"the tokens already contain mask_id {mask_id}")
    if candidates is not None and candidates.shape != tokens.shape:
        raise ValueError(f"candidates {tuple(candidates.shape)} must have the shape of the tokens "
                         f"{tuple(tokens.shape)}")
    chosen = torch.rand(tokens.shape, generator=generator) < rate  # (B, T) bool: the set M
    if candidates is not None:
        chosen = chosen & candidates.to(torch.bool)
    u = torch.rand(tokens.shape, generator=generator)  # (B, T): which corruption
    random_tokens = torch.randint(low, vocab_size, tokens.shape, generator=generator)  # (B, T)
    X = torch.where(chosen & (u < 0.8), mask_id, tokens)  # 80%: [MASK]
    X = torch.where(chosen & (u >= 0.8) & (u < 0.9), random_tokens, X)  # 10%: a random token
    Y = torch.where(chosen, tokens, IGNORE)  # only the chosen positions are scored
    return X, Y
# --8<-- [end:mask-tokens]
