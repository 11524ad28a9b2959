"""Teacher environments, registered under the ``teachgym/`` namespace.

Registration uses lazy string entry points: importing this module imports no
family module. A new env is one module in ``envs/<family>/`` and one line here.
"""

from gymnasium.envs.registration import register, registry

_CURRICULUM = "teachgym.envs.curriculum"

_ENVS = [
    ("teachgym/ToyCurriculum-v0", f"{_CURRICULUM}.toy:ToyCurriculumEnv", {}),
    ("teachgym/ToyCurriculumDiscrete-v0", f"{_CURRICULUM}.toy:ToyCurriculumEnv", {"lesson_mode": "regions"}),
    ("teachgym/GridworldCurriculum-v0", f"{_CURRICULUM}.gridworld:GridworldCurriculumEnv", {}),
    ("teachgym/GridworldCurriculumDiscrete-v0", f"{_CURRICULUM}.gridworld:GridworldCurriculumEnv",
     {"lesson_mode": "regions"}),
    ("teachgym/FineTuneRL-Linear-v0", "teachgym.envs.finetune_rl.linear:FineTuneRLLinearEnv", {}),
    ("teachgym/FineTuneRL-SB3-v0", "teachgym.envs.finetune_rl.sb3:FineTuneRLSB3Env", {}),
]

for _env_id, _entry_point, _kwargs in _ENVS:
    if _env_id not in registry:
        register(id=_env_id, entry_point=_entry_point, kwargs=_kwargs)


def env_ids() -> list[str]:
    """Every teachgym env id registered with Gymnasium."""
    return sorted(k for k in registry if k.startswith("teachgym/"))
