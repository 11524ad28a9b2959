"""Data-generation family: the teacher plans training data, the student is trained on it.

DataEnvGym (Khan et al., 2024) as Gymnasium envs that run on a CPU: three
domains (math, code, VQA) x three structures (Open-Ended, Skill-List,
Skill-Tree). Data come from a programmatic generator (default) or a causal LM
(:class:`~teachgym.envs.datagen.lm_engine.LMDataEngine`); the student is a small
torch model retrained by SFT on all accumulated data each iteration.
"""
