"""Tenants: the oblast and its municipalities, and what each sets for itself."""
