"""Moodle GIFT question banks: read them into the course YAML, write the course as GIFT."""
