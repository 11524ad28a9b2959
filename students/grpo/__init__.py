"""Language-model students trained with TRL's GRPOTrainer.

Importing this package loads no heavy library; torch, transformers, TRL and peft
are imported inside the functions that need them.

- :mod:`.tokenizer`: a character tokenizer built locally with ``tokenizers``.
- :mod:`.tiny`: the default offline student: a tiny rotary LM, SFT warm-up, disk cache.
- :mod:`.grpo`: one GRPOTrainer driven lesson by lesson; GRPO advantages rebuilt from the rewards.
- :mod:`.forced`: exact-match greedy accuracy from teacher-forced passes (cheap probe evaluation).
- :mod:`.student`: :class:`LMStudent`, the :class:`teachgym.Student` over all of it.
"""
