"""Deep-RL curriculum family: the student is an SB3 agent on a parameterised Gymnasium task."""
