"""Datasets, one module per dataset; each declares its own files (:mod:`.store`).

Import the leaf module a page needs (``from dlnotes.data.fashion_mnist import
load_fashion_mnist``): this file imports nothing, so a page depends on exactly the loaders it names.
"""
