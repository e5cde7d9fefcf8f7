"""Kundenkommunikation im IT-Support: the package the course notebooks import.

Kept import-light on purpose: ``import course`` loads nothing heavy; widgets, content and
the rewrite checker are imported from their own modules (``course.quiz``,
``course.content``, ``course.grading``, ``course.rewrite``).
"""

__version__ = "0.1.0"
