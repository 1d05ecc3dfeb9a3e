"""Model implementations, one module per family; each registers its models in
:mod:`dlnotes.registry`."""
