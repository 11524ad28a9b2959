"""A character-level tokenizer built locally with ``tokenizers`` (no hub access needed)."""

from __future__ import annotations

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
SPECIAL_TOKENS = (PAD, EOS, UNK)  # ids 0, 1, 2


def build_char_tokenizer(alphabet: str):
    """A ``PreTrainedTokenizerFast`` with one token per character of ``alphabet``.

    Ids 0-2 are ``<pad>``, ``</s>`` (end of sequence) and ``<unk>``; characters
    follow in the order given. Padding is on the left, as GRPO generation needs;
    no special token is added when encoding (TRL appends nothing to prompts).

    >>> tok = build_char_tokenizer("0123456789+=")
    >>> tok("12+3=")["input_ids"]
    [4, 5, 13, 6, 14]
    >>> tok.decode([4, 5, 1], skip_special_tokens=True)
    '12'
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = list(dict.fromkeys(alphabet))
    vocab = {token: i for i, token in enumerate([*SPECIAL_TOKENS, *chars])}
    core = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    core.decoder = decoders.Fuse()  # characters join without spaces
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token=PAD, eos_token=EOS, unk_token=UNK,
                                   padding_side="left", truncation_side="left")
