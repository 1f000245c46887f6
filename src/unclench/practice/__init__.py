"""Practitioner mode on a clinic server: care links, consent per data category, the roster and notes."""
