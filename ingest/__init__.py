"""Ingest: fetch public feeds safely, parse, normalize, tag and store them."""
