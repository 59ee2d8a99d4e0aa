"""Intake: municipalities' file registers, data requests and the extracts they push."""
