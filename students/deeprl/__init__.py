"""deeprl."""
