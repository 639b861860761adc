"""Quality measurement of the enrichment stage against annotated data read in place (never shipped)."""
