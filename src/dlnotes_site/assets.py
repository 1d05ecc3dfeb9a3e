"""Front-end assets the site serves itself, so that it works offline: KaTeX and mermaid.

They come from the npm packages pinned in ``package.json`` (``npm ci`` installs them into
``node_modules``; the build runs it when they are missing) and are copied into the built site.
Math is rendered at build time (:mod:`.math`), so a page with math loads only KaTeX's stylesheet
and fonts; mermaid's script is loaded only by pages that have a diagram.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

__all__ = [
    "VENDOR_FILES", "ensure_node_modules", "copy_vendor_assets", "scripts_for", "stylesheets_for",
]

# site path -> path inside node_modules (files or folders)
VENDOR_FILES = {
    "assets/vendor/katex/katex.min.css": "katex/dist/katex.min.css",
    "assets/vendor/katex/fonts": "katex/dist/fonts",
    "assets/vendor/mermaid/mermaid.min.js": "mermaid/dist/mermaid.min.js",
}


def ensure_node_modules(root: Path) -> Path:
    """Return ``root/node_modules``, running ``npm ci`` first if the pinned assets are missing."""
    modules = root / "node_modules"
    if all((modules / src).exists() for src in VENDOR_FILES.values()):
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "KaTeX and mermaid are served by the site itself and come from npm: install Node.js "
            f"and run `npm ci` in {root} (package.json pins the versions)"
        )
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root, check=True)
    missing = [src for src in VENDOR_FILES.values() if not (modules / src).exists()]
    if missing:
        raise RuntimeError(f"npm ci did not install {missing}; check package.json")
    return modules


def copy_vendor_assets(node_modules: Path, site_dir: Path) -> None:
    """Copy the pinned assets into the built site."""
    for dest, src in VENDOR_FILES.items():
        source, target = node_modules / src, site_dir / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, target)


def stylesheets_for(html: str, base: str) -> str:
    """``<link>`` tags for what ``html`` uses: KaTeX's stylesheet on pages with math."""
    if 'class="katex' in html:
        return f'<link rel="stylesheet" href="{base}assets/vendor/katex/katex.min.css">'
    return ""


def scripts_for(html: str, base: str) -> str:
    """``<script>`` tags for what ``html`` uses: mermaid on pages with diagrams.

    ``base`` is the relative URL from the page to the site root (e.g. ``"../../"``).
    """
    tags = []
    if 'class="mermaid"' in html:
        tags.append(f'<script src="{base}assets/vendor/mermaid/mermaid.min.js"></script>')
    return "\n".join(tags)
