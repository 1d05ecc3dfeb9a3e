"""dlnotes: the companion package of the 深度学习笔记 site.

Each submodule holds one concept and is imported on its own (``from dlnotes.data import
load_fashion_mnist``); this file imports nothing heavy, so that the site build can tell which
pages depend on which modules.
"""

__version__ = "0.1.0"
