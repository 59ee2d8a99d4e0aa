"""Topic names, one per domain event, and the envelope payload field each one carries."""
CONTRACT_CONCLUDED = "sakusei.contract.concluded"
DATA_REQUEST_ISSUED = "sakusei.data-request.issued"
EXTRACT_RECEIVED = "sakusei.extract.received"
DATASET_CREATED = "sakusei.dataset.created"
AUDIT_RECORDED = "sakusei.audit.recorded"
DEAD_LETTER = "sakusei.dead-letter"
FILE_REGISTERED = "sakusei.file.registered"
DATA_REQUEST_ANSWERED = "sakusei.data-request.answered"
DATASET_RECALLED = "sakusei.dataset.recalled"
CONTRACT_CANCELLED = "sakusei.contract.cancelled"
DELETION_REQUESTED = "sakusei.deletion.requested"
CASE_CLOSED = "sakusei.case.closed"

TOPIC_OF_PAYLOAD = {
    "contract_concluded": CONTRACT_CONCLUDED,
    "data_request_issued": DATA_REQUEST_ISSUED,
    "extract_received": EXTRACT_RECEIVED,
    "dataset_created": DATASET_CREATED,
    "audit_recorded": AUDIT_RECORDED,
    "file_registered": FILE_REGISTERED,
    "data_request_answered": DATA_REQUEST_ANSWERED,
    "dataset_recalled": DATASET_RECALLED,
    "contract_cancelled": CONTRACT_CANCELLED,
    "deletion_requested": DELETION_REQUESTED,
    "case_closed": CASE_CLOSED,
}

ALL_TOPICS = (*TOPIC_OF_PAYLOAD.values(), DEAD_LETTER)
