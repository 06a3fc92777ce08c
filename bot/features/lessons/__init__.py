"""Lessons and their quizzes: the next lesson, answers, feedback, reflections."""
