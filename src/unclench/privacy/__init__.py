"""The person's data rights: export everything they keep here, and delete it (on a clinic, with their account)."""
