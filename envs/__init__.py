"""Teacher environments, registered under the ``teachgym/`` namespace with their metadata.

Registration uses lazy string entry points: importing this module imports no
family module. A new env is one module in ``envs/<family>/`` and one
``register_env`` call here, with its family, what its headline score measures,
a *smoke* configuration (seconds to run; the registry-driven tests use it) and a
cost class (see :class:`teachgym.registry.EnvMeta`).
"""

from teachgym.registry import ENV_META, register_env

_FAST = {"n_steps": 40}
# 4 lessons of 64 PPO steps (2 envs x 32, one epoch).
_DEEPRL = {"n_steps": 4, "steps_per_lesson": 64, "n_envs": 2, "device": "cpu",
           "algo_kwargs": {"batch_size": 32, "n_epochs": 1}}
# 3 iterations of 8 examples, 2 gradient steps, 2 held-out items per skill, a width-16 student.
_DATAGEN = {"n_steps": 3, "budget": 8, "train_steps": 2, "val_per_skill": 2, "test_per_skill": 2}
# 3 teacher steps of 1 GRPO update (2 prompts x 2 completions), 2 probes per arm, a 1-layer width-16 LM.
_GRPO = {"n_steps": 3, "updates_per_step": 1, "prompts_per_update": 2, "num_generations": 2, "probes_per_arm": 2,
         "test_per_arm": 2, "tiny": {"hidden_size": 16, "num_layers": 1, "num_heads": 2, "intermediate_size": 32,
                                     "warmup_steps": 20, "warmup_batch_size": 16}}

_CURRICULUM = "teachgym.envs.curriculum"
_GRID_SCORE = "% of test tasks solved"
_TOY_VECTOR = f"{_CURRICULUM}.toy_vector:ToyCurriculumVectorEnv"  # gym.make_vec(..., vectorization_mode="vector_entry_point")
register_env("teachgym/ToyCurriculum-v0", f"{_CURRICULUM}.toy:ToyCurriculumEnv", family="curriculum",
             score="% of competence-grid cells mastered", smoke=_FAST, vector_entry_point=_TOY_VECTOR)
register_env("teachgym/ToyCurriculumDiscrete-v0", f"{_CURRICULUM}.toy:ToyCurriculumEnv", family="curriculum",
             score="% of competence-grid cells mastered", smoke=_FAST, kwargs={"lesson_mode": "regions"},
             vector_entry_point=_TOY_VECTOR)
_GRID_VECTOR = f"{_CURRICULUM}.gridworld_vector:GridworldCurriculumVectorEnv"
register_env("teachgym/GridworldCurriculum-v0", f"{_CURRICULUM}.gridworld:GridworldCurriculumEnv",
             family="curriculum", score=_GRID_SCORE, smoke=_FAST, vector_entry_point=_GRID_VECTOR)
register_env("teachgym/GridworldCurriculumDiscrete-v0", f"{_CURRICULUM}.gridworld:GridworldCurriculumEnv",
             family="curriculum", score=_GRID_SCORE, smoke=_FAST, kwargs={"lesson_mode": "regions"},
             vector_entry_point=_GRID_VECTOR)

_DEEP = "teachgym.envs.deeprl"
register_env("teachgym/MountainCarCurriculum-v0", f"{_DEEP}.mountain_car:MountainCarCurriculumEnv", family="deeprl",
             score="% success of the default car", smoke={**_DEEPRL, "test_episodes": 2}, cost="medium")
register_env("teachgym/CartPoleCurriculum-v0", f"{_DEEP}.cartpole:CartPoleCurriculumEnv", family="deeprl",
             score="% of the test grid mastered (return >= 475)", smoke=_DEEPRL, cost="medium")
register_env("teachgym/StumpTrackCurriculum-v0", f"{_DEEP}.stump_track:StumpTrackCurriculumEnv", family="deeprl",
             score="% of test tracks crossed", smoke=_DEEPRL, cost="medium")

_TUTORING = "teachgym.envs.tutoring"
for _model in ("EFC", "HLR", "ACTR"):
    _vector = {} if _model == "ACTR" else {"vector_entry_point": f"{_TUTORING}.flashcards_vector:FlashcardsVectorEnv"}
    register_env(f"teachgym/Flashcards-{_model}-v1", f"{_TUTORING}.flashcards:FlashcardsEnv", family="tutoring",
                 score="mean recall probability over the deck, %", smoke=_FAST, kwargs={"model": _model.lower()},
                 **_vector)
register_env("teachgym/PrerequisiteTutor-BKT-v1", f"{_TUTORING}.prerequisites:PrerequisiteTutorEnv",
             family="tutoring", score="% of skills mastered and retained", smoke=_FAST,
             vector_entry_point=f"{_TUTORING}.prerequisites_vector:PrerequisiteTutorVectorEnv")
# 10 days of a 20-card deck, 5 new cards a day.
_SRS_SMOKE = {"deck_size": 20, "new_per_day": 5, "n_steps": 10}
for _suffix, _mode in (("", "cards"), ("Retention", "retention")):
    register_env(f"teachgym/SpacedRepetition{_suffix}-FSRS-v0", f"{_TUTORING}.spaced_repetition:SpacedRepetitionEnv",
                 family="tutoring", score="memorised cards (sum of recall probabilities) at the end, % of the deck",
                 smoke=_SRS_SMOKE, kwargs={"lesson_mode": _mode})

_DATAGEN_CLASSES = {"SkillList": "skill_list:SkillListEnv", "OpenEnded": "open_ended:OpenEndedEnv",
                    "SkillTree": "skill_tree:SkillTreeEnv"}
for _domain in ("Math", "Code", "VQA"):
    _student = {"d_model": 16, "batch_size": 8, **({"base_steps": 20} if _domain == "Math" else {})}
    for _structure, _entry in _DATAGEN_CLASSES.items():
        register_env(f"teachgym/DataGen-{_domain}-{_structure}-v0", f"teachgym.envs.datagen.{_entry}",
                     family="datagen", score="test accuracy %", cost="medium",
                     smoke={**_DATAGEN, "student_kwargs": _student}, kwargs={"domain": _domain.lower()})

register_env("teachgym/FineTuneRL-Linear-v0", "teachgym.envs.finetune_rl.linear:FineTuneRLLinearEnv",
             family="finetune_rl", score="% of the optimal value (or of the budget left when eps-optimal)",
             smoke=_FAST, vector_entry_point="teachgym.envs.finetune_rl.linear_vector:FineTuneRLLinearVectorEnv")
# 4 teacher steps of 32 DQN steps, 300 offline transitions, one 30-step evaluation episode.
register_env("teachgym/FineTuneRL-SB3-v1", "teachgym.envs.finetune_rl.sb3:FineTuneRLSB3Env", family="finetune_rl",
             score="greedy evaluation return, % of the task's return range", cost="medium",
             smoke={"n_steps": 4, "steps_per_step": 32, "n_offline_transitions": 300, "eval_episodes": 1,
                    "eval_max_steps": 30, "learning_starts": 8, "batch_size": 16})

_GRPO_ENTRY = "teachgym.envs.grpo.env:GRPOCurriculumEnv"
register_env("teachgym/GRPOArithmetic-v0", _GRPO_ENTRY, family="grpo", score="greedy test accuracy %, all arms",
             smoke=_GRPO, cost="slow", kwargs={"family": "arithmetic"})
register_env("teachgym/GRPOArithmeticMixture-v0", _GRPO_ENTRY, family="grpo",
             score="greedy test accuracy %, all arms", smoke=_GRPO, cost="slow",
             kwargs={"family": "arithmetic", "lesson_mode": "mixture"})
register_env("teachgym/GRPOStrings-v0", _GRPO_ENTRY, family="grpo", score="greedy test accuracy %, all arms",
             smoke=_GRPO, cost="slow", kwargs={"family": "strings"})
# v1: the budget and probes where teachers separate in updates-to-threshold (benchmarks/bench_grpo_reasoning.py,
# recorded as grpo_reasoning_quality_v1): 50 steps x 4 updates, 16 probes and 16 test prompts per arm, lr 3e-4.
for _version, _settings in (("v0", {}), ("v1", {"n_steps": 50, "updates_per_step": 4, "probes_per_arm": 16,
                                                "test_per_arm": 16, "learning_rate": 3e-4})):
    register_env(f"teachgym/GRPOReasoning-{_version}", _GRPO_ENTRY, family="grpo",
                 score="greedy test score %, reasoning-gym scorers, all (dataset, level) arms", cost="slow",
                 smoke={**_GRPO, "tasks": {"datasets": ["chain_sum", "spell_backward"], "levels": 2}},
                 kwargs={"family": "reasoning", "grpo_reward": "dataset", **_settings})
for _version, _space in (("v0", {"digits": 1, "word_length": 3}), ("v1", {})):  # v1: spaces too large to memorise
    register_env(f"teachgym/LMProblemWriter-{_version}", "teachgym.envs.grpo.problem_writer:ProblemWriterEnv",
                 family="grpo", score="greedy exact-match test accuracy %, learnable skills (not the hash distractor)",
                 cost="medium", kwargs=_space,
                 smoke={"n_steps": 3, "batch_size": 4, "eval_every": 2, "test_per_skill": 4, "replay": 4,
                        "student": {"hidden_size": 16, "num_layers": 1, "num_heads": 2, "intermediate_size": 32}})

# Single-agent teachers inside the design game, against fixed Q-learning partners.
_DESIGN_VIEW = "teachgym.envs.multiagent.teacher_view:DesignGameTeacherEnv"
register_env("teachgym/DesignGameTeacher-v0", _DESIGN_VIEW, family="multiagent", score=_GRID_SCORE, smoke=_FAST)
register_env("teachgym/DesignGameTeacherPAIRED-v0", _DESIGN_VIEW, family="multiagent", score=_GRID_SCORE,
             smoke=_FAST, kwargs={"objective": "regret"})


def env_ids() -> list[str]:
    """Every teachgym env id registered with its metadata."""
    return sorted(ENV_META)
