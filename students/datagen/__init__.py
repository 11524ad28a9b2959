"""Small torch students trained by supervised fine-tuning (SFT) on generated data.

- :mod:`.char_transformer`: a character-level decoder-only transformer for text
  question -> answer pairs (math, code).
- :mod:`.vqa_net`: a small CNN + question encoder that classifies the answer to a
  question about an image (VQA).
- :mod:`.pretrain`: a pretrained base for the character transformer, built once
  from a fixed seed and cached on disk (the math student's default).

Both retrain from their base weights or continue training, are deterministic
under the seed they are reset with (on CPU), and import torch only when used.
"""
