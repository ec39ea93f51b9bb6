"""Indicators: taxonomy, lexicon-based tagging, the store and its queries.

Depends on nothing else in the project; `ingest` and `dashboard` depend on it.
"""
