"""Maintainers' tools beside the product: the tagger's evaluation harness and the map builder.

Nothing in the runtime packages imports them; `make eval` and `make bench`
(bench/) do, and a runtime install does not ship them.
"""
