"""tutoring."""
