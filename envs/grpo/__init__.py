"""GRPO curriculum family: a teacher picks what a language model practises under TRL's GRPO.

``tasks`` and ``rewards`` are plain numpy/Python; ``env`` imports the LM student
(torch, transformers, TRL) when an env is made.
"""
