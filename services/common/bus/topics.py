"""Topic names, one per domain event, and the envelope payload field each one carries."""
CONTRACT_CONCLUDED = "sakusei.contract.concluded"
DATA_REQUEST_ISSUED = "sakusei.data-request.issued"
EXTRACT_RECEIVED = "sakusei.extract.received"
DATASET_CREATED = "sakusei.dataset.created"
AUDIT_RECORDED = "sakusei.audit.recorded"
DEAD_LETTER = "sakusei.dead-letter"

TOPIC_OF_PAYLOAD = {
    "contract_concluded": CONTRACT_CONCLUDED,
    "data_request_issued": DATA_REQUEST_ISSUED,
    "extract_received": EXTRACT_RECEIVED,
    "dataset_created": DATASET_CREATED,
    "audit_recorded": AUDIT_RECORDED,
}

ALL_TOPICS = (*TOPIC_OF_PAYLOAD.values(), DEAD_LETTER)
