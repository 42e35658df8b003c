"""Prompt templates (one Markdown file per LLM task) and the offline coach's data files.

Installed as the package-data package `coach.prompts` (see pyproject.toml), so an installed wheel finds
these files as well as a checkout does; `coach.config.PROMPTS_DIR` is where they are.
"""
