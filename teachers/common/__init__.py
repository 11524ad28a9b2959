"""What teachers of several families share (the bandit base and its helpers)."""
