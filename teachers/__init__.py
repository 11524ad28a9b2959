"""Teacher policies. A new teacher is one module here and one line below.

Registered names are lowercase with dashes; entry points are lazy, so listing
teachers imports none of them.
"""

from teachgym.registry import register_teacher

# Any action space (Box or Discrete).
register_teacher("random", "teachgym.teachers.random_teacher:RandomTeacher", "uniform over the lesson space")
register_teacher("easy-to-hard", "teachgym.teachers.easy_to_hard:EasyToHardTeacher",
                 "hand-made schedule the env publishes in info['easy_to_hard']")
# Continuous task spaces (Box).
register_teacher("alp-gmm", "teachgym.teachers.alp_gmm:ALPGMMTeacher", "ALP-GMM (Portelas et al., 2019)")
register_teacher("covar-gmm", "teachgym.teachers.covar_gmm:CovarGMMTeacher", "Covar-GMM (Moulin-Frier et al., 2014)")
register_teacher("riac", "teachgym.teachers.riac:RIACTeacher", "RIAC (Baranes & Oudeyer, 2009)")
# Discrete tasks (Discrete).
register_teacher("tscl-window", "teachgym.teachers.tscl:TSCLWindowTeacher", "TSCL window slope bandit (Matiisen et al., 2017)")
register_teacher("tscl-sampling", "teachgym.teachers.tscl:TSCLSamplingTeacher", "TSCL sampling bandit (Matiisen et al., 2017)")
register_teacher("exp3", "teachgym.teachers.exp3:EXP3Teacher", "EXP3 on absolute learning progress")
register_teacher("ucb", "teachgym.teachers.ucb:UCBTeacher", "discounted UCB on absolute learning progress")
register_teacher("thompson", "teachgym.teachers.thompson:ThompsonTeacher",
                 "Thompson sampling on absolute learning progress")
# FineTuneRL (Box lessons naming an offline_share; generic = False: not run on other envs).
register_teacher("online-only", "teachgym.teachers.online_only:OnlineOnlyTeacher", "ignore the offline data; LSVI-UCB exploration")
register_teacher("offline-only", "teachgym.teachers.offline_only:OfflineOnlyTeacher", "learn from the offline data alone")
register_teacher("rlpd", "teachgym.teachers.rlpd:RLPDTeacher", "RLPD-style fixed 50/50 offline/online mix (Ball et al., 2023)")
register_teacher("coverage-design", "teachgym.teachers.coverage_design:CoverageDesignTeacher",
                 "explore the uncovered directions of policies still in the running (FTPedel-style)")
