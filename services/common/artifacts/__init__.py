"""The artifact store: extracts, datasets and documents as objects, keyed by ids."""
from services.common.artifacts.base import (BUCKETS, DATASETS, DOCUMENTS, EXTRACTS, METHOD_INFO, ArtifactStore,
                                            object_key)

__all__ = ["ArtifactStore", "BUCKETS", "DATASETS", "DOCUMENTS", "EXTRACTS", "METHOD_INFO", "object_key"]
