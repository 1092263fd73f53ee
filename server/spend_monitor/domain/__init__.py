"""The business rules: pure functions over dates, numbers and pydantic models.

Nothing here performs I/O or reads the clock; the as-of date always comes in as a parameter.
"""
