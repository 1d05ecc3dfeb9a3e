"""Whole networks, one module per family, built from :mod:`dlnotes.layers`; each registers its
models in :mod:`dlnotes.models._registry`. This file imports nothing."""
