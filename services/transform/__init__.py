"""Transform: format conversion and anonymization (Art. 11 of the rule) on Dask."""
