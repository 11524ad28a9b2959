"""Students: learners the teacher envs wrap. Registered by name, imported lazily."""

from teachgym.registry import register_student

register_student("competence-grid", "teachgym.students.curriculum.competence_grid:CompetenceGridStudent",
                 "ALP-GMM paper toy student: per-cell competence with prerequisite unlocking")
register_student("tabular-q", "teachgym.students.curriculum.tabular_q:TabularQStudent",
                 "batched tabular Q-learning on parameterised gridworlds")
register_student("sb3", "teachgym.students.deeprl.sb3_agent:SB3Student",
                 "an SB3 agent (PPO, SAC, DQN) on a parameterised task family (task_family=...)")
register_student("lsvi", "teachgym.students.finetune_rl.lsvi:LSVIStudent", "least-squares value iteration on offline + online data")
register_student("offline-sb3", "teachgym.students.finetune_rl.offline_sb3:OfflineSB3Student",
                 "SB3 DQN/SAC with a replay buffer mixing offline and online data")
register_student("lm-grpo", "teachgym.students.grpo.student:LMStudent",
                 "causal LM trained with TRL's GRPOTrainer (tiny offline LM by default, any HF model by path)")
