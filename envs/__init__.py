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
    ("teachgym/MountainCarCurriculum-v0", "teachgym.envs.deeprl.mountain_car:MountainCarCurriculumEnv", {}),
    ("teachgym/CartPoleCurriculum-v0", "teachgym.envs.deeprl.cartpole:CartPoleCurriculumEnv", {}),
    ("teachgym/StumpTrackCurriculum-v0", "teachgym.envs.deeprl.stump_track:StumpTrackCurriculumEnv", {}),
    ("teachgym/Flashcards-EFC-v0", "teachgym.envs.tutoring.flashcards:FlashcardsEnv", {"model": "efc"}),
    ("teachgym/Flashcards-HLR-v0", "teachgym.envs.tutoring.flashcards:FlashcardsEnv", {"model": "hlr"}),
    ("teachgym/Flashcards-ACTR-v0", "teachgym.envs.tutoring.flashcards:FlashcardsEnv", {"model": "actr"}),
    ("teachgym/PrerequisiteTutor-BKT-v0", "teachgym.envs.tutoring.prerequisites:PrerequisiteTutorEnv", {}),
    ("teachgym/DataGen-Math-SkillList-v0", "teachgym.envs.datagen.skill_list:SkillListEnv", {"domain": "math"}),
    ("teachgym/DataGen-Math-OpenEnded-v0", "teachgym.envs.datagen.open_ended:OpenEndedEnv", {"domain": "math"}),
    ("teachgym/DataGen-Math-SkillTree-v0", "teachgym.envs.datagen.skill_tree:SkillTreeEnv", {"domain": "math"}),
    ("teachgym/DataGen-Code-SkillList-v0", "teachgym.envs.datagen.skill_list:SkillListEnv", {"domain": "code"}),
    ("teachgym/DataGen-Code-OpenEnded-v0", "teachgym.envs.datagen.open_ended:OpenEndedEnv", {"domain": "code"}),
    ("teachgym/DataGen-Code-SkillTree-v0", "teachgym.envs.datagen.skill_tree:SkillTreeEnv", {"domain": "code"}),
    ("teachgym/DataGen-VQA-SkillList-v0", "teachgym.envs.datagen.skill_list:SkillListEnv", {"domain": "vqa"}),
    ("teachgym/DataGen-VQA-OpenEnded-v0", "teachgym.envs.datagen.open_ended:OpenEndedEnv", {"domain": "vqa"}),
    ("teachgym/DataGen-VQA-SkillTree-v0", "teachgym.envs.datagen.skill_tree:SkillTreeEnv", {"domain": "vqa"}),
    ("teachgym/FineTuneRL-Linear-v0", "teachgym.envs.finetune_rl.linear:FineTuneRLLinearEnv", {}),
    ("teachgym/FineTuneRL-SB3-v0", "teachgym.envs.finetune_rl.sb3:FineTuneRLSB3Env", {}),
    ("teachgym/GRPOArithmetic-v0", "teachgym.envs.grpo.env:GRPOCurriculumEnv", {"family": "arithmetic"}),
    ("teachgym/GRPOArithmeticMixture-v0", "teachgym.envs.grpo.env:GRPOCurriculumEnv",
     {"family": "arithmetic", "lesson_mode": "mixture"}),
    ("teachgym/GRPOStrings-v0", "teachgym.envs.grpo.env:GRPOCurriculumEnv", {"family": "strings"}),
]

for _env_id, _entry_point, _kwargs in _ENVS:
    if _env_id not in registry:
        register(id=_env_id, entry_point=_entry_point, kwargs=_kwargs)


def env_ids() -> list[str]:
    """Every teachgym env id registered with Gymnasium."""
    return sorted(k for k in registry if k.startswith("teachgym/"))
