"""From-scratch building blocks (functional ops, initialisers, dropout, convolution,
normalisation, …), each with its PyTorch twin and a twin test. This file imports nothing."""
