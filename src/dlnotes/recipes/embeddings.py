r"""Using word vectors (d2l §14.7): cosine neighbours, analogies and a look at bias (DLS C5W2).

Works on any object with ``vectors`` ``(N, d)``, ``idx_to_token`` and ``token_to_idx``: the real
GloVe vectors of :func:`dlnotes.data.glove.load_glove`, or vectors trained on the page wrapped in
:class:`dlnotes.data.glove.GloVe`. A query word the vectors lack raises ``KeyError`` naming it.

**Cosine similarity** $\cos(\mathbf x, \mathbf y) = \mathbf x^\top\mathbf y / (\|\mathbf x\|\|\mathbf y\|)$
(a tiny $\varepsilon$ under the square root keeps a zero row at 0, as in d2l).
**Analogy** $a : b :: c : ?$ is answered by the word whose vector is closest in cosine to
$\mathbf e_b - \mathbf e_a + \mathbf e_c$.
**Debiasing** (Bolukbasi et al., 2016): with a bias direction $\mathbf g$, *neutralising* removes
a word's component along $\mathbf g$, $\mathbf e - \frac{\mathbf e^\top\mathbf g}{\|\mathbf g\|^2}\mathbf g$;
*equalising* makes a pair (actor, actress) differ only along $\mathbf g$, so every neutralised word
is equally far from both.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["cosine_knn", "similar_tokens", "analogy", "bias_direction", "project", "neutralize",
           "equalize", "cosine"]


def _row(emb, token: str) -> int:
    if token not in emb.token_to_idx:
        raise KeyError(f"{token!r} is not in the vocabulary of these {len(emb.idx_to_token)} word vectors")
    return emb.token_to_idx[token]


# --8<-- [start:knn]
def cosine_knn(W: torch.Tensor, x: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of ``W`` ``(N, d)`` most cosine-similar to ``x`` ``(d,)``: ``(indices (k,), cos (k,))``."""
    if W.dim() != 2 or x.shape != W.shape[1:]:
        raise ValueError(f"need W (N, d) and x (d,), got {tuple(W.shape)} and {tuple(x.shape)}")
    cos = W @ x / torch.sqrt((W * W).sum(dim=1) + 1e-9) / torch.sqrt((x * x).sum() + 1e-9)  # (N,)
    values, indices = torch.topk(cos, k=k)
    return indices, values


def similar_tokens(emb, token: str, k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` nearest other words of ``token`` with their cosine similarity."""
    row = _row(emb, token)
    indices, values = cosine_knn(emb.vectors, emb.vectors[row], k + 1)
    out = [(emb.idx_to_token[int(i)], float(v)) for i, v in zip(indices, values, strict=True) if int(i) != row]
    return out[:k]


def analogy(emb, a: str, b: str, c: str, exclude_inputs: bool = False) -> str:
    """$a : b :: c : ?$, the word nearest to $\\mathbf e_b - \\mathbf e_a + \\mathbf e_c$.

    d2l takes the nearest word of all (``exclude_inputs=False``); the usual evaluation protocol
    skips $a$, $b$ and $c$ themselves.
    """
    rows = [_row(emb, t) for t in (a, b, c)]
    x = emb.vectors[rows[1]] - emb.vectors[rows[0]] + emb.vectors[rows[2]]  # (d,)
    indices, _ = cosine_knn(emb.vectors, x, 4)
    for i in indices.tolist():
        if not exclude_inputs or i not in rows:
            return emb.idx_to_token[i]
    raise AssertionError("unreachable: 4 candidates, at most 3 excluded")
# --8<-- [end:knn]


def cosine(u: torch.Tensor, v: torch.Tensor) -> float:
    """Cosine similarity of two vectors ``(d,)``."""
    return float(u @ v / (u.norm() * v.norm()))


# --8<-- [start:debias]
def bias_direction(emb, pairs: Sequence[tuple[str, str]]) -> torch.Tensor:
    """Mean of $\\mathbf e_{b} - \\mathbf e_{a}$ over word pairs $(a, b)$ such as (man, woman): ``(d,)``."""
    if not pairs:
        raise ValueError("bias_direction needs at least one word pair")
    diffs = [emb.vectors[_row(emb, b)] - emb.vectors[_row(emb, a)] for a, b in pairs]
    return torch.stack(diffs).mean(dim=0)  # (n, d) -> (d,)


def project(e: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Component of ``e`` along ``g``: $\\frac{\\mathbf e^\\top\\mathbf g}{\\|\\mathbf g\\|^2}\\mathbf g$."""
    if float(g @ g) == 0.0:
        raise ValueError("the bias direction g is the zero vector")
    return (e @ g) / (g @ g) * g


def neutralize(e: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """``e`` without its component along ``g`` (so ``neutralize(e, g) @ g == 0``)."""
    return e - project(e, g)


def equalize(e1: torch.Tensor, e2: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A pair made symmetric about the hyperplane orthogonal to ``g`` (unit vectors out).

    Both words keep the mean of their (unit-normalised) vectors' parts orthogonal to ``g``,
    $\\boldsymbol\\mu_\\perp$, and get opposite components along $\\hat{\\mathbf g}$ of length
    $\\sqrt{1 - \\|\\boldsymbol\\mu_\\perp\\|^2}$, so both have norm 1 and differ only along ``g``.
    """
    e1, e2 = e1 / e1.norm(), e2 / e2.norm()
    mu_perp = neutralize((e1 + e2) / 2, g)  # shared part, orthogonal to g
    g_hat = g / g.norm()
    side = 1.0 if float((e1 - e2) @ g) >= 0 else -1.0  # e1 stays on its side of the hyperplane
    length = torch.sqrt((1 - mu_perp @ mu_perp).clamp(min=0))
    return mu_perp + side * length * g_hat, mu_perp - side * length * g_hat
# --8<-- [end:debias]
