"""Stress: questionnaires (PSS-10, PHQ-4), the life-stressor inventory, reflection prompts."""
