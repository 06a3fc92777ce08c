"""Getting to know a newcomer: language, name, role, institution, municipality."""
