"""Write the hand-drawn SVG figures of docs/assets/figures/ (issue #9).

Run once after changing a figure: ``python scripts/figures/make_figures.py``. The build does not run
this script; the SVG files are committed. Only the standard library and numpy are used.

Every figure is a white rounded card (readable on the light and the dark theme, since prose images
get no colour filter), has a viewBox and no pixel size (it scales with the page), a <title> and a
<desc> for screen readers, and text of at least 12 units at natural size.
"""

from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "docs" / "assets" / "figures"

INK = "#222222"
MUTED = "#666666"
GRID = "#8a8a8a"
HI_FILL, HI_STROKE = "#fde2c8", "#d9640b"      # highlighted window (orange)
K_FILL, K_STROKE = "#dce8fa", "#3565b5"        # kernel (blue)
OUT_FILL, OUT_STROKE = "#dcf1e2", "#2b8a50"    # output (green)
PAD_FILL = "#eeeeee"
FONT = "font-family:sans-serif"


def svg(width: float, height: float, title: str, desc: str, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" '
        f'role="img" aria-labelledby="t d" style="{FONT}">\n'
        f'<title id="t">{escape(title)}</title>\n<desc id="d">{escape(desc)}</desc>\n'
        f'<rect x="1" y="1" width="{width - 2:g}" height="{height - 2:g}" rx="10" '
        f'fill="#ffffff" stroke="#d4d4d4"/>\n'
    )
    return head + "\n".join(body) + "\n</svg>\n"


def text(x, y, s, size=15, fill=INK, anchor="middle", weight=None, style=None, halo=False) -> str:
    extra = f' font-weight="{weight}"' if weight else ""
    extra += ' stroke="#ffffff" stroke-width="4" paint-order="stroke"' if halo else ""
    extra += f' font-style="{style}"' if style else ""
    return (f'<text x="{x:g}" y="{y:g}" font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}"{extra}>{escape(str(s))}</text>')


def grid(x0, y0, values, cell, fill="#ffffff", stroke=GRID, size=16, fills=None, colour=INK):
    """A table of numbers; ``fills`` maps (i, j) to a cell colour, a value may be (text, colour)."""
    rects, labels = [], []
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            f = (fills or {}).get((i, j), fill)
            x, y = x0 + j * cell, y0 + i * cell
            paint = f' fill="{f}"' if f != fill else ""
            rects.append(f'<rect x="{x:g}" y="{y:g}" width="{cell:g}" height="{cell:g}"{paint}/>')
            v, ink = v if isinstance(v, tuple) else (v, colour)
            if v != "":
                paint = f' fill="{ink}"' if ink != colour else ""
                labels.append(f'<text x="{x + cell / 2:g}" y="{y + cell / 2 + size * 0.36:g}"'
                              f'{paint}>{escape(str(v))}</text>')
    out = [f'<g fill="{fill}" stroke="{stroke}">', *rects, "</g>"]
    if labels:
        out += [f'<g font-size="{size}" fill="{colour}" text-anchor="middle">', *labels, "</g>"]
    return out


def frame(x, y, w, h, stroke, width=3, dash=None) -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" fill="none" '
            f'stroke="{stroke}" stroke-width="{width}"{d}/>')


def arrow_defs() -> str:
    return ('<defs><marker id="ah" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{MUTED}"/></marker></defs>')


def arrow(x1, y1, x2, y2, colour=MUTED, width=2, dash=None) -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="{colour}" '
            f'stroke-width="{width}" marker-end="url(#ah)"{d}/>')


# -- 1. cross-correlation ----------------------------------------------------------------------
def cross_correlation() -> str:
    X = np.arange(9).reshape(3, 3)
    K = np.array([[0, 1], [2, 3]])
    Y = np.array([[(X[i:i + 2, j:j + 2] * K).sum() for j in range(2)] for i in range(2)])
    c = 44
    xX, xK, xY, y0 = 50, 250, 398, 52
    body = [
        text(xX + 1.5 * c, 38, "输入 X（3×3）"),
        text(xK + c, 38, "核 K（2×2）"),
        text(xY + c, 38, "输出 Y（2×2）"),
    ]
    body += grid(xX, y0, X, c, fills={(i, j): HI_FILL for i in range(2) for j in range(2)})
    body.append(frame(xX, y0, 2 * c, 2 * c, HI_STROKE))
    body.append(text(xK - 32, y0 + c + 10, "∗", size=30))
    body.append(text(xK - 32, y0 + c + 34, "互相关", size=12, fill=MUTED))
    body += grid(xK, y0, K, c, fill=K_FILL, stroke=K_STROKE)
    body.append(text(xY - 30, y0 + c + 9, "=", size=28))
    body += grid(xY, y0, Y, c, fill="#ffffff", fills={(0, 0): OUT_FILL})
    body.append(frame(xY, y0, c, c, OUT_STROKE))
    terms = " + ".join(f"{X[a, b]}×{K[a, b]}" for a in range(2) for b in range(2))
    body.append(text(270, 222, f"{terms} = {Y[0, 0]}", size=18, weight="bold"))
    body.append(text(270, 248, "橙色窗口与核逐元素相乘再求和，得到绿色的输出元素；", size=14,
                     fill=MUTED))
    body.append(text(270, 268, "窗口再向右、向下各滑动一格，依次得到 25、37、43。", size=14,
                     fill=MUTED))
    return svg(540, 290, "二维互相关：一个窗口得到一个输出元素",
               "输入 X 是 3×3 的矩阵 0 到 8，核 K 是 [[0,1],[2,3]]。左上角 2×2 窗口（0,1,3,4）"
               "与核逐元素相乘再求和：0×0+1×1+3×2+4×3=19，就是输出 Y 左上角的元素。"
               "输出 Y 为 [[19,25],[37,43]]。", body)


# -- 2. padding and stride ---------------------------------------------------------------------
def padding_stride() -> str:
    n, k, p, s = 8, 3, 1, 2
    m = (n - k + 2 * p) // s + 1
    c = 24
    x0, y0 = 44, 74
    N = n + 2 * p
    vals = [["0" if (i < p or j < p or i >= n + p or j >= n + p) else "" for j in range(N)]
            for i in range(N)]
    fills = {(i, j): PAD_FILL for i in range(N) for j in range(N) if vals[i][j] == "0"}
    body = [arrow_defs(), text(x0 + N * c / 2, 32, "填充 p = 1 后的输入（8×8 → 10×10）")]
    body += grid(x0, y0, [[(v, "#999999") if v else "" for v in row] for row in vals], c,
                 fill="#f7fbff", stroke="#b8b8b8", size=12, fills=fills)
    body.append(frame(x0 + p * c, y0 + p * c, n * c, n * c, K_STROKE, width=2))
    # window positions: (0,0) solid, (0,2) dashed, (2,0) dotted
    body.append(frame(x0, y0, k * c, k * c, HI_STROKE, width=3.5))
    body.append(frame(x0 + s * c, y0, k * c, k * c, HI_STROKE, width=3, dash="7 4"))
    body.append(frame(x0, y0 + s * c, k * c, k * c, "#8e44ad", width=3, dash="3 3"))
    body.append(arrow(x0 + 1.5 * c, y0 - 10, x0 + (1.5 + s) * c, y0 - 10, HI_STROKE, 2))
    body.append(text(x0 + (1.5 + s) * c + 8, y0 - 5, f"右移 s = {s}", size=13, fill=HI_STROKE,
                     anchor="start"))
    body.append(arrow(x0 - 10, y0 + 1.5 * c, x0 - 10, y0 + (1.5 + s) * c, "#8e44ad", 2))
    xo, yo = 400, 122
    body.append(text(xo + m * c / 2, yo - 14, f"输出（{m}×{m}）"))
    body += grid(xo, yo, [[""] * m for _ in range(m)], c, fills={(0, 0): HI_FILL, (0, 1): HI_FILL,
                                                                 (1, 0): "#ecdcf3"})
    body.append(frame(xo, yo, c, c, HI_STROKE, width=3))
    body.append(frame(xo + c, yo, c, c, HI_STROKE, width=3, dash="5 3"))
    body.append(frame(xo, yo + c, c, c, "#8e44ad", width=3, dash="3 3"))
    body.append(arrow(x0 + N * c + 12, yo + 2 * c, xo - 12, yo + 2 * c))
    body.append(text((x0 + N * c + xo) / 2, yo + 2 * c - 10, f"{k}×{k} 核", size=13, fill=MUTED))
    lx = 312
    body.append(text(lx, 262, "灰色：补的 0；蓝框：原来的 8×8", size=13, fill=MUTED, anchor="start"))
    body.append(text(lx, 284, "实线 → 虚线：窗口向右跳 2 格", size=13, fill=MUTED, anchor="start"))
    body.append(text(lx, 306, "紫色点线：向下同样跳 2 格", size=13, fill=MUTED, anchor="start"))
    body.append(text(lx, 328, "输出里同色的格子与窗口一一对应", size=13, fill=MUTED, anchor="start"))
    body.append(text(290, 366, "n′ = ⌊(n − k + 2p) / s⌋ + 1", size=18, weight="bold"))
    body.append(text(290, 392, f"= ⌊({n} − {k} + 2×{p}) / {s}⌋ + 1 = {m}", size=16))
    return svg(580, 410, "填充与步幅：8×8 输入、3×3 核、填充 1、步幅 2",
               "8×8 的输入四周各补一圈 0，变成 10×10。3×3 的窗口从左上角出发，每次向右或向下"
               "跳 2 格：第一个窗口对应输出的第一个元素，右移 2 格的窗口对应它右边的元素，"
               "下移 2 格的窗口对应它下面的元素。输出大小 ⌊(8−3+2×1)/2⌋+1=4，即 4×4。", body)


# -- 3. max pooling ----------------------------------------------------------------------------
def max_pooling() -> str:
    X = np.arange(9).reshape(3, 3)
    Y = np.array([[X[i:i + 2, j:j + 2].max() for j in range(2)] for i in range(2)])
    c = 48
    xX, xY, y0 = 40, 330, 54
    win = [(0, 1), (0, 2), (1, 1), (1, 2)]
    body = [arrow_defs(), text(xX + 1.5 * c, 38, "输入 X（3×3）"),
            text(xY + c, 38, "输出（2×2）")]
    body += grid(xX, y0, X, c, size=18, fills={w: HI_FILL for w in win})
    body.append(frame(xX + c, y0, 2 * c, 2 * c, HI_STROKE))
    body.append(f'<circle cx="{xX + 2.5 * c:g}" cy="{y0 + 1.5 * c:g}" r="17" fill="none" '
                f'stroke="{HI_STROKE}" stroke-width="2"/>')
    body += grid(xY, y0, Y, c, size=18, fills={(0, 1): OUT_FILL})
    body.append(frame(xY + c, y0, c, c, OUT_STROKE))
    body.append(arrow(xX + 3 * c + 14, y0 + c, xY - 14, y0 + c))
    body.append(text((xX + 3 * c + xY) / 2, y0 + c - 12, "2×2 最大汇聚", size=14, fill=MUTED))
    body.append(text((xX + 3 * c + xY) / 2, y0 + c + 24, "步幅 1", size=14, fill=MUTED))
    vals = ", ".join(str(X[w]) for w in win)
    body.append(text(250, 240, f"max({vals}) = {Y[0, 1]}", size=18, weight="bold"))
    body.append(text(250, 266, "窗口里只有最大的数留下来，汇聚层没有要学的参数。", size=14,
                     fill=MUTED))
    return svg(500, 288, "2×2 最大汇聚：一个窗口得到一个输出元素",
               "输入是 3×3 的矩阵 0 到 8。右上方的 2×2 窗口里是 1、2、4、5，最大值 5 成为输出"
               "第一行第二个元素。步幅为 1 时，输出为 [[4,5],[7,8]]。", body)


# -- 4. L1 vs L2 constraint geometry -----------------------------------------------------------
def _loss_setup():
    c = np.array([1.6, 0.8])          # unconstrained optimum
    theta = math.radians(-60)         # tilt of the ellipses' long axis
    a, b = 1.0, 0.5                   # semi-axes of the level set ℓ = 1
    R = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    A = R @ np.diag([1 / a**2, 1 / b**2]) @ R.T
    return c, theta, a, b, A


def _constrained_optimum(boundary: np.ndarray, c, A) -> np.ndarray:
    d = boundary - c
    loss = np.einsum("ni,ij,nj->n", d, A, d)
    return boundary[np.argmin(loss)], loss.min()


def l1_l2() -> str:
    c, theta, a, b, A = _loss_setup()
    t = np.linspace(0, 2 * math.pi, 20001)
    r = 1.0
    circle = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    diamond = circle / (np.abs(circle).sum(1, keepdims=True)) * r
    w1, L1 = _constrained_optimum(diamond, c, A)
    w2, L2 = _constrained_optimum(circle, c, A)
    scale, panel_w = 78, 290
    body = []
    for k, (name, w, L, region) in enumerate([("L1：菱形 |w₁| + |w₂| ≤ t", w1, L1, "diamond"),
                                               ("L2：圆盘 w₁² + w₂² ≤ t²", w2, L2, "disk")]):
        ox, oy = 18 + k * (panel_w + 14) + 95, 200   # origin of this panel
        X = lambda v, ox=ox: ox + scale * v  # noqa: E731
        Y = lambda v, oy=oy: oy - scale * v  # noqa: E731
        body.append(f'<clipPath id="p{k}"><rect x="{ox - 90}" y="46" width="{panel_w - 6}" '
                    f'height="248"/></clipPath>')
        # axes
        body.append(f'<line x1="{X(-1.15):g}" y1="{oy}" x2="{X(2.5):g}" y2="{oy}" stroke="{GRID}" '
                    f'stroke-width="1.5" marker-end="url(#ah)"/>')
        body.append(f'<line x1="{ox}" y1="{Y(-1.15):g}" x2="{ox}" y2="{Y(1.85):g}" stroke="{GRID}" '
                    f'stroke-width="1.5" marker-end="url(#ah)"/>')
        body.append(text(X(2.5) - 4, oy + 20, "w₁", size=14, fill=MUTED))
        body.append(text(ox + 18, Y(1.85) + 8, "w₂", size=14, fill=MUTED))
        # region
        if region == "diamond":
            pts = " ".join(f"{X(px):g},{Y(py):g}" for px, py in [(r, 0), (0, r), (-r, 0), (0, -r)])
            body.append(f'<polygon points="{pts}" fill="{K_FILL}" stroke="{K_STROKE}" '
                        f'stroke-width="2" fill-opacity="0.85"/>')
        else:
            body.append(f'<circle cx="{ox}" cy="{oy}" r="{scale * r:g}" fill="{K_FILL}" '
                        f'stroke="{K_STROKE}" stroke-width="2" fill-opacity="0.85"/>')
        # loss contours: the one touching the region, one inside, one outside
        body.append(f'<g clip-path="url(#p{k})">')
        for level, width, dash in [(L * 0.3, 1.2, "4 3"), (L, 2.2, None), (L * 2.0, 1.2, "4 3")]:
            d = f' stroke-dasharray="{dash}"' if dash else ""
            body.append(
                f'<ellipse cx="{X(c[0]):g}" cy="{Y(c[1]):g}" rx="{scale * a * math.sqrt(level):.1f}" '
                f'ry="{scale * b * math.sqrt(level):.1f}" transform="rotate({-math.degrees(theta):.1f} '
                f'{X(c[0]):g} {Y(c[1]):g})" fill="none" stroke="{HI_STROKE}" stroke-width="{width}"'
                f'{d}/>')
        body.append("</g>")
        body.append(f'<circle cx="{X(c[0]):g}" cy="{Y(c[1]):g}" r="3.5" fill="{HI_STROKE}"/>')
        body.append(text(X(c[0]) - 8, Y(c[1]) - 8, "损失最小点", size=12, fill=HI_STROKE,
                         anchor="end", halo=True))
        body.append(f'<circle cx="{X(w[0]):g}" cy="{Y(w[1]):g}" r="6" fill="{OUT_STROKE}" '
                    f'stroke="#ffffff" stroke-width="1.5"/>')
        body.append(text(ox + panel_w / 2 - 95, 34, name, size=15, weight="bold"))
        label = (f"约束解 ({w[0]:.2f}, {w[1]:.2f})：落在坐标轴上，w₂ = 0"
                 if abs(w[1]) < 1e-3 else
                 f"约束解 ({w[0]:.2f}, {w[1]:.2f})：两个分量都不为 0")
        body.append(text(ox + panel_w / 2 - 95, 312, label, size=13, fill=OUT_STROKE))
    body.insert(0, arrow_defs())
    body.append(text(311, 344, "橙色椭圆是损失的等高线，从中心向外扩张，第一次碰到蓝色约束区域的点就是约束解。",
                     size=13, fill=MUTED))
    body.append(text(311, 364, "菱形的尖角伸在坐标轴上，等高线多半先碰到尖角，于是解稀疏；圆盘没有尖角。",
                     size=13, fill=MUTED))
    assert abs(w1[1]) < 1e-3 and min(abs(w2)) > 0.2, (w1, w2)
    return svg(622, 384, "L1 与 L2 约束的几何：L1 的解落在坐标轴上",
               "在 (w₁, w₂) 平面上，损失的等高线是一族倾斜的椭圆，中心是不加约束时的最优点。"
               "左图的约束区域是 L1 菱形，与之相切的等高线碰到菱形在 w₁ 轴上的顶点，"
               f"约束解约为 ({w1[0]:.2f}, {w1[1]:.2f})，w₂ 恰好为 0，是稀疏解。"
               "右图的约束区域是 L2 圆盘，等高线与圆在一般位置相切，"
               f"约束解约为 ({w2[0]:.2f}, {w2[1]:.2f})，两个分量都被缩小但都不为 0。", body)


# -- 5. VGG block ------------------------------------------------------------------------------
def _slab(x, y, side, depth, fill, stroke) -> list[str]:
    """A feature map drawn as a box: front face side×side, depth going up and right."""
    dx, dy = depth * 0.7, -depth * 0.5
    front = f"{x:g},{y:g} {x + side:g},{y:g} {x + side:g},{y + side:g} {x:g},{y + side:g}"
    top = f"{x:g},{y:g} {x + dx:g},{y + dy:g} {x + side + dx:g},{y + dy:g} {x + side:g},{y:g}"
    right = (f"{x + side:g},{y:g} {x + side + dx:g},{y + dy:g} {x + side + dx:g},{y + side + dy:g} "
             f"{x + side:g},{y + side:g}")
    return [f'<polygon points="{pts}" fill="{f}" stroke="{stroke}" stroke-width="1.5" '
            f'stroke-linejoin="round"/>'
            for pts, f in [(top, "#ffffff"), (right, fill), (front, fill)]]


def vgg_block() -> str:
    body = [arrow_defs()]
    base, side, mid = 182, 96, 182 - 62     # bottom of the slabs, their side, the arrows' height
    # input h×w×c
    ix = 20
    body += _slab(ix, base - side, side, 14, "#eeeeee", GRID)
    body.append(text(ix + 52, base + 24, "h × w × c", size=15, weight="bold"))
    body.append(text(ix + 52, base + 44, "输入", size=13, fill=MUTED))
    # the repeated convolution
    bx, bw = 148, 160
    body.append(arrow(ix + side + 12, mid, bx - 4, mid))
    body.append(f'<rect x="{bx}" y="{mid - 46}" width="{bw}" height="92" rx="8" fill="{K_FILL}" '
                f'stroke="{K_STROKE}" stroke-width="1.5"/>')
    for i, line in enumerate(["3×3 卷积", "填充 1，步幅 1", "ReLU"]):
        body.append(text(bx + bw / 2, mid - 18 + i * 24, line, size=15 if i != 1 else 13,
                         fill=INK if i != 1 else MUTED))
    body.append(f'<path d="M{bx + bw - 30},{mid - 46} v-18 h-{bw - 60} v18" fill="none" '
                f'stroke="{K_STROKE}" stroke-width="1.5" marker-end="url(#ah)"/>')
    body.append(text(bx + bw / 2, mid - 72, "重复 n 次", size=14, fill=K_STROKE, weight="bold"))
    body.append(text(bx + bw / 2, base + 6, "高宽不变；", size=13, fill=MUTED))
    body.append(text(bx + bw / 2, base + 24, "第一层把通道 c 变成 c′", size=13, fill=MUTED))
    # after the convolutions h×w×c'
    sx = 330
    body.append(arrow(bx + bw + 4, mid, sx - 4, mid))
    body += _slab(sx, base - side, side, 30, OUT_FILL, OUT_STROKE)
    body.append(text(sx + 58, base + 24, "h × w × c′", size=15, weight="bold"))
    # pooling
    px, pw = 470, 120
    body.append(arrow(sx + side + 21 + 2, mid, px - 4, mid))
    body.append(f'<rect x="{px}" y="{mid - 36}" width="{pw}" height="72" rx="8" fill="{HI_FILL}" '
                f'stroke="{HI_STROKE}" stroke-width="1.5"/>')
    body.append(text(px + pw / 2, mid - 6, "2×2 最大汇聚", size=15))
    body.append(text(px + pw / 2, mid + 18, "步幅 2", size=13, fill=MUTED))
    body.append(text(px + pw / 2, base + 6, "通道不变，", size=13, fill=MUTED))
    body.append(text(px + pw / 2, base + 24, "高宽减半", size=13, fill=MUTED))
    ox = 618
    body.append(arrow(px + pw + 4, mid, ox - 4, mid))
    body += _slab(ox, base - side / 2, side / 2, 30, OUT_FILL, OUT_STROKE)
    body.append(text(ox + 36, base + 24, "h/2 × w/2 × c′", size=15, weight="bold"))
    body.append(text(ox + 36, base + 44, "输出", size=13, fill=MUTED))
    return svg(724, 240, "VGG 块：n 个 3×3 卷积层加一个 2×2 最大汇聚层",
               "一个 VGG 块把形状为 h×w×c 的输入先送进 n 个相同结构的层：3×3 卷积、填充 1、"
               "ReLU，这些层保持高和宽不变，第一层把通道数从 c 变为 c′；然后是 2×2、步幅 2 的"
               "最大汇聚，通道数不变、高和宽减半，输出形状为 h/2×w/2×c′。", body)


FIGURES = {
    "cross-correlation.svg": cross_correlation,
    "padding-stride.svg": padding_stride,
    "max-pooling.svg": max_pooling,
    "l1-l2-constraints.svg": l1_l2,
    "vgg-block.svg": vgg_block,
}

if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in FIGURES.items():
        (OUT / name).write_text(make(), encoding="utf-8")
        print(f"{name}: {(OUT / name).stat().st_size} bytes")
