"""Safety first: red-flag triage, physical causes, medication check, the doctor's all clear."""
