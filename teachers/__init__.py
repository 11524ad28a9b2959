"""Teacher policies, one folder per env family. A new teacher is one module and one line below.

Registered names are lowercase with dashes; entry points are lazy, so listing
teachers imports none of them. Each line gives the teacher's family (``generic``:
any env whose spaces it supports) and marks *privileged* teachers, which use what
a real teacher lacks and are reference rows on the leaderboard. Supported spaces
and required ``info`` keys are class attributes of the teacher.
"""

from teachgym.registry import register_teacher

# Any action space (Box or Discrete).
register_teacher("random", "teachgym.teachers.generic.random_teacher:RandomTeacher", "uniform over the lesson space")
register_teacher("easy-to-hard", "teachgym.teachers.generic.easy_to_hard:EasyToHardTeacher",
                 "hand-made schedule the env publishes in info['easy_to_hard']", privileged=True)
# Trained RL teachers (path= a saved model).
register_teacher("sb3-policy", "teachgym.teachers.generic.sb3_policy:SB3PolicyTeacher",
                 "a trained Stable-Baselines3 policy (path=model)")
register_teacher("ppo-teacher", "teachgym.teachers.generic.ppo_teacher:PPOTeacher",
                 "the PPO teacher shipped for this env, trained on its train student population (needs the rl extra)")

# Curriculum: continuous task spaces (Box).
_CUR = "teachgym.teachers.curriculum"
register_teacher("alp-gmm", f"{_CUR}.alp_gmm:ALPGMMTeacher", "ALP-GMM (Portelas et al., 2019)", family="curriculum")
register_teacher("covar-gmm", f"{_CUR}.covar_gmm:CovarGMMTeacher", "Covar-GMM (Moulin-Frier et al., 2014)",
                 family="curriculum")
register_teacher("riac", f"{_CUR}.riac:RIACTeacher", "RIAC (Baranes & Oudeyer, 2009)", family="curriculum")
register_teacher("adr", f"{_CUR}.adr:ADRTeacher", "Automatic Domain Randomization from the env's easy task "
                 "(OpenAI et al., 2019)", family="curriculum", privileged=True)
register_teacher("spdl", f"{_CUR}.spdl:SPDLTeacher", "Self-Paced Deep RL towards the env's test distribution "
                 "(Klink et al., 2020)", family="curriculum")
register_teacher("goal-gan", f"{_CUR}.goal_gan:GoalGANTeacher", "GoalGAN: LSGAN of intermediate-difficulty goals "
                 "(Florensa et al., 2018)", family="curriculum")
register_teacher("setter-solver", f"{_CUR}.setter_solver:SetterSolverTeacher",
                 "Setter-Solver: goals of a desired feasibility (Racaniere et al., 2020)", family="curriculum")
register_teacher("accel", f"{_CUR}.accel:ACCELTeacher", "ACCEL: Robust PLR with edits of replayed tasks "
                 "(Parker-Holder et al., 2022)", family="curriculum")
# Curriculum: discrete tasks (Discrete).
register_teacher("tscl-window", f"{_CUR}.tscl:TSCLWindowTeacher", "TSCL window slope bandit (Matiisen et al., 2017)",
                 family="curriculum")
register_teacher("tscl-sampling", f"{_CUR}.tscl:TSCLSamplingTeacher", "TSCL sampling bandit (Matiisen et al., 2017)",
                 family="curriculum")
register_teacher("exp3", f"{_CUR}.exp3:EXP3Teacher", "EXP3 on absolute learning progress", family="curriculum")
register_teacher("ucb", f"{_CUR}.ucb:UCBTeacher", "discounted UCB on absolute learning progress", family="curriculum")
register_teacher("thompson", f"{_CUR}.thompson:ThompsonTeacher", "Thompson sampling on absolute learning progress",
                 family="curriculum")
# Curriculum: level replay (Box tasks or Discrete arms).
register_teacher("plr", f"{_CUR}.plr:PLRTeacher", "Prioritized Level Replay (Jiang et al., 2021)", family="curriculum")
register_teacher("robust-plr", f"{_CUR}.plr:RobustPLRTeacher", "Robust PLR's level sampling (Jiang et al., 2021)",
                 family="curriculum")
register_teacher("sfl", f"{_CUR}.sfl:SFLTeacher", "Sampling For Learnability (Rutherford et al., 2024)",
                 family="curriculum")

# Tutoring (Discrete items/skills; read info["tutor_log"], fall back elsewhere).
_TUT = "teachgym.teachers.tutoring"
register_teacher("round-robin", f"{_TUT}.round_robin:RoundRobinTutor", "every item in turn, shuffled order",
                 family="tutoring")
register_teacher("leitner", f"{_TUT}.leitner:LeitnerTutor", "Leitner queue network (Reddy et al., 2016)",
                 family="tutoring")
register_teacher("sm2", f"{_TUT}.sm2:SM2Tutor", "SuperMemo-2 spaced repetition (Wozniak, 1990)", family="tutoring")
register_teacher("threshold", f"{_TUT}.threshold:ThresholdTutor",
                 "review the item whose fitted recall is closest to a threshold", family="tutoring")
register_teacher("mastery", f"{_TUT}.mastery:MasteryTutor", "BKT mastery-0.95 learning, prerequisites first",
                 family="tutoring")
# Tutoring, day-based decks (MultiBinary review masks; read info["review_log"]).
register_teacher("fsrs-scheduler", f"{_TUT}.fsrs_scheduler:FSRSSchedulerTutor",
                 "FSRS-6 at a desired retention, through the fsrs package (needs the srs extra)", family="tutoring")
register_teacher("anki-sm2", f"{_TUT}.anki_sm2:AnkiSM2Tutor", "Anki's SM-2 with its default deck options",
                 family="tutoring")
register_teacher("leitner-boxes", f"{_TUT}.fixed_interval:LeitnerBoxTutor", "Leitner's boxes, 1-64 day intervals",
                 family="tutoring")
register_teacher("fixed-interval", f"{_TUT}.fixed_interval:FixedIntervalTutor", "every card every 10 days",
                 family="tutoring")

# FineTuneRL (Box lessons naming an offline_share; need the FineTuneRL observation layout).
_FT = "teachgym.teachers.finetune_rl"
register_teacher("online-only", f"{_FT}.online_only:OnlineOnlyTeacher", "ignore the offline data; LSVI-UCB exploration",
                 family="finetune_rl")
register_teacher("offline-only", f"{_FT}.offline_only:OfflineOnlyTeacher", "learn from the offline data alone",
                 family="finetune_rl")
register_teacher("rlpd", f"{_FT}.rlpd:RLPDTeacher", "RLPD-style fixed 50/50 offline/online mix (Ball et al., 2023)",
                 family="finetune_rl")
register_teacher("coverage-design", f"{_FT}.coverage_design:CoverageDesignTeacher",
                 "explore the uncovered directions of policies still in the running (FTPedel-style)",
                 family="finetune_rl")

# Data generation (need the DataGen taxonomy).
_DG = "teachgym.teachers.datagen"
register_teacher("datagen-uniform", f"{_DG}.uniform:UniformAllocationTeacher", "equal data for every skill",
                 family="datagen")
register_teacher("datagen-targeting", f"{_DG}.targeting:WeakestSkillTeacher",
                 "data in proportion to the missing-skill profile of validation errors (STAT-style)", family="datagen")
register_teacher("skilltree-alternate", f"{_DG}.skill_tree_policies:AlternateExploreExploitTeacher",
                 "DataEnvGym: alternate explore and exploit on the skill tree", family="datagen")
register_teacher("skilltree-fill-balanced", f"{_DG}.skill_tree_policies:FillBalancedTeacher",
                 "DataEnvGym: grow the tree evenly, then exploit evenly", family="datagen")
register_teacher("lm-planner", f"{_DG}.lm_planner:LMPlannerTeacher", "a causal LM writes text data plans (model=...)",
                 family="datagen")
register_teacher("datagen-learning-progress", f"{_DG}.learning_progress:LearningProgressDataTeacher",
                 "data in proportion to the recent change in per-skill validation accuracy", family="datagen")

# GRPO curriculum (Discrete arms or Box mixtures; read info["arm_advantage_abs"] / ["arm_reward_mean"], fall back
# on outcome).
_GR = "teachgym.teachers.grpo"
register_teacher("sec", f"{_GR}.sec:SECTeacher",
                 "Self-Evolving Curriculum: TD(0) Boltzmann bandit on |advantage| (Chen et al., 2025)", family="grpo")
register_teacher("dump", f"{_GR}.dump:DUMPTeacher", "DUMP: UCB on recent |advantage| per distribution (Wang et al., 2025)",
                 family="grpo")
register_teacher("learnability", f"{_GR}.learnability:LearnabilityTeacher", "sample arms by p(1-p) (LILO / VCRL)",
                 family="grpo")
register_teacher("rg-threshold", f"{_GR}.rg_threshold:RGThresholdTeacher",
                 "reasoning-gym's fixed curriculum: a skill moves up a level when its accuracy passes a threshold",
                 family="grpo")
register_teacher("online-filtering", f"{_GR}.filtering:OnlineFilteringTeacher",
                 "balanced online difficulty filtering: arms with pass rate in [0.25, 0.75] (Bae et al., 2025)",
                 family="grpo")
register_teacher("vcrl", f"{_GR}.vcrl:VCRLTeacher", "VCRL: keep high group-reward variance, replay a bank of it "
                 "(Jiang et al., 2025)", family="grpo")
register_teacher("lm-problem-writer", f"{_GR}.lm_problem_writer:LMProblemWriterTeacher",
                 "a GRPO-trained LM writes LMProblemWriter's problems (path=, scripts/train_lm_teacher.py)",
                 family="grpo")
