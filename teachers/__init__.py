"""Teacher policies. A new teacher is one module here and one line below.

Registered names are lowercase with dashes; entry points are lazy, so listing
teachers imports none of them.
"""

from teachgym.registry import register_teacher

# Any action space (Box or Discrete).
register_teacher("random", "teachgym.teachers.generic.random_teacher:RandomTeacher", "uniform over the lesson space")
register_teacher("easy-to-hard", "teachgym.teachers.generic.easy_to_hard:EasyToHardTeacher",
                 "hand-made schedule the env publishes in info['easy_to_hard']")
# Continuous task spaces (Box).
register_teacher("alp-gmm", "teachgym.teachers.curriculum.alp_gmm:ALPGMMTeacher", "ALP-GMM (Portelas et al., 2019)")
register_teacher("covar-gmm", "teachgym.teachers.curriculum.covar_gmm:CovarGMMTeacher", "Covar-GMM (Moulin-Frier et al., 2014)")
register_teacher("riac", "teachgym.teachers.curriculum.riac:RIACTeacher", "RIAC (Baranes & Oudeyer, 2009)")
# Discrete tasks (Discrete).
register_teacher("tscl-window", "teachgym.teachers.curriculum.tscl:TSCLWindowTeacher", "TSCL window slope bandit (Matiisen et al., 2017)")
register_teacher("tscl-sampling", "teachgym.teachers.curriculum.tscl:TSCLSamplingTeacher", "TSCL sampling bandit (Matiisen et al., 2017)")
register_teacher("exp3", "teachgym.teachers.curriculum.exp3:EXP3Teacher", "EXP3 on absolute learning progress")
register_teacher("ucb", "teachgym.teachers.curriculum.ucb:UCBTeacher", "discounted UCB on absolute learning progress")
register_teacher("thompson", "teachgym.teachers.curriculum.thompson:ThompsonTeacher",
                 "Thompson sampling on absolute learning progress")
# Trained RL teachers (generic = False: needs path= to a saved model zip).
register_teacher("sb3-policy", "teachgym.teachers.generic.sb3_policy:SB3PolicyTeacher", "a trained Stable-Baselines3 policy (path=model.zip)")
# Tutoring (Discrete items/skills; read info["tutor_log"], fall back elsewhere).
register_teacher("round-robin", "teachgym.teachers.tutoring.round_robin:RoundRobinTutor", "every item in turn, shuffled order")
register_teacher("leitner", "teachgym.teachers.tutoring.leitner:LeitnerTutor", "Leitner queue network (Reddy et al., 2016)")
register_teacher("sm2", "teachgym.teachers.tutoring.sm2:SM2Tutor", "SuperMemo-2 spaced repetition (Wozniak, 1990)")
register_teacher("threshold", "teachgym.teachers.tutoring.threshold:ThresholdTutor",
                 "review the item whose fitted recall is closest to a threshold")
register_teacher("mastery", "teachgym.teachers.tutoring.mastery:MasteryTutor", "BKT mastery-0.95 learning, prerequisites first")
# FineTuneRL (Box lessons naming an offline_share; generic = False: not run on other envs).
register_teacher("online-only", "teachgym.teachers.finetune_rl.online_only:OnlineOnlyTeacher", "ignore the offline data; LSVI-UCB exploration")
register_teacher("offline-only", "teachgym.teachers.finetune_rl.offline_only:OfflineOnlyTeacher", "learn from the offline data alone")
register_teacher("rlpd", "teachgym.teachers.finetune_rl.rlpd:RLPDTeacher", "RLPD-style fixed 50/50 offline/online mix (Ball et al., 2023)")
register_teacher("coverage-design", "teachgym.teachers.finetune_rl.coverage_design:CoverageDesignTeacher",
                 "explore the uncovered directions of policies still in the running (FTPedel-style)")
# Data generation (DataGen envs; generic = False: they read the DataGen info keys).
register_teacher("datagen-uniform", "teachgym.teachers.datagen.uniform:UniformAllocationTeacher", "equal data for every skill")
register_teacher("datagen-targeting", "teachgym.teachers.datagen.targeting:WeakestSkillTeacher",
                 "data in proportion to the missing-skill profile of validation errors (STAT-style)")
register_teacher("skilltree-alternate", "teachgym.teachers.datagen.skill_tree_policies:AlternateExploreExploitTeacher",
                 "DataEnvGym: alternate explore and exploit on the skill tree")
register_teacher("skilltree-fill-balanced", "teachgym.teachers.datagen.skill_tree_policies:FillBalancedTeacher",
                 "DataEnvGym: grow the tree evenly, then exploit evenly")
register_teacher("lm-planner", "teachgym.teachers.datagen.lm_planner:LMPlannerTeacher", "a causal LM writes text data plans (model=...)")
# GRPO curriculum (Discrete arms or Box mixtures; read info["arm_advantage_abs"] / ["arm_reward_mean"], fall back on outcome).
register_teacher("sec", "teachgym.teachers.grpo.sec:SECTeacher", "Self-Evolving Curriculum: TD(0) Boltzmann bandit on |advantage| (Chen et al., 2025)")
register_teacher("dump", "teachgym.teachers.grpo.dump:DUMPTeacher", "DUMP: UCB on recent |advantage| per distribution (Wang et al., 2025)")
register_teacher("learnability", "teachgym.teachers.grpo.learnability:LearnabilityTeacher", "sample arms by p(1-p) (LILO / VCRL)")
