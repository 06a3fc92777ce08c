"""When lessons come: each cohort's timetable, pauses, reminders, and what each tick queues."""
