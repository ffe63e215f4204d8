"""Reporting: statistics, leaderboards, tables, figures and claims, from stored records only."""
