"""The pages do not bring back d2l's own example code (issue #9).

A guard, not a proof: it lists the names and lines that made d2l's examples recognisable on the
pages that used to reproduce them (5.1 ``MySequential``/``FixedHiddenMLP``/``NestMLP``/``chimera``,
5.2 ``rgnet``/``block1``/``init_normal``/``init_constant``/``my_init``, 2.5 the ``while b.norm() <
1000`` loop and ``2 * torch.dot(x, x)``, 5.3 ``nn.LazyLinear(256)`` on ``torch.rand(2, 20)``, 5.4
``CenteredLayer``, 5.5 ``x-file``/``mydict``).
"""

from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"

D2L_SIGNATURES = (
    "MySequential",
    "FixedHiddenMLP",
    "NestMLP",
    "chimera",
    "rgnet",
    "def block1",
    "def block2",
    "def init_normal",
    "def init_constant",
    "def init_42",
    "def my_init",
    "b.norm() < 1000",
    "2 * torch.dot(x, x)",
    "u = y.detach()",
    "self.rand_weight",
    "nn.LazyLinear(256)",
    "torch.rand(2, 20)",
    "torch.rand(size=(2, 20))",
    "CenteredLayer",
    '"x-file"',
    "'x-file'",
    "mydict",
)


def _pages():
    return sorted(DOCS.rglob("*.md"))


@pytest.mark.parametrize("signature", D2L_SIGNATURES)
def test_no_page_reuses_d2l_example_code(signature):
    hits = [str(p.relative_to(DOCS)) for p in _pages() if signature in p.read_text(encoding="utf-8")]
    assert not hits, f"{signature!r} (d2l's example code) appears in {hits}; write an own example"
