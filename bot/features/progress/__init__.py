"""A participant's own progress: modules done, average score, streak."""
