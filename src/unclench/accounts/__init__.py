"""Who the data belongs to and who may see it: people, paired devices, clinic accounts, the audit log."""
