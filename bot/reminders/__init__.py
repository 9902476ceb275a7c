"""Reminder campaigns: the contact strategy, the planner and its runs."""
