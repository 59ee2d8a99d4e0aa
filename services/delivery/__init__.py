"""Delivery: the registry of created datasets and their provision under contract."""
