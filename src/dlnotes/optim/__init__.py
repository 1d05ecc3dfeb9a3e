"""Optimizers written by hand, one module per algorithm, each a ``torch.optim.Optimizer`` whose
``step`` is written out line by line. This file imports nothing."""
