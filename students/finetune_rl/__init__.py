"""finetune_rl."""
