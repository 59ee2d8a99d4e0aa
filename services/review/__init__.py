"""Review: recruitment windows, proposals, screening, decisions and contracts."""
