"""Students of the multi-agent envs: simulated learners that several teachers share."""
