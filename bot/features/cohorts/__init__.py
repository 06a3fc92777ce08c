"""Groups of participants, their invitation codes and timetables."""
