"""A reuse proposal (Act 44-12, Forms 6-8) for a dataset the platform has created: screened on
items 1 and 4-7 only, accepted outside recruitment windows, concluded as a contract citing it."""
from __future__ import annotations

import grpc
import pytest

from services.cli import scenario
from services.common.bus.base import wait_until
from services.common.pb.sakusei.v1 import review_pb2
from services.review import store


@pytest.fixture(scope="module")
def dataset_id(platform):
    created = platform.result.dataset_id
    engine = platform.apps["review"].engine

    def known() -> bool:
        with engine.connect() as conn:
            return store.dataset_exists(conn, created)

    assert wait_until(known, 30)
    return created


def _decide(proposal_id: str, item_4: bool) -> review_pb2.DecideProposalRequest:
    reason = "既存の情報の新たな活用に資する" if item_4 else "事業の内容から新たな産業の創出への寄与が読み取れない"
    return review_pb2.DecideProposalRequest(proposal_id=proposal_id, estimated_work_minutes=30, decisions=[
        review_pb2.CriterionDecision(item=4, met=item_4, reason=reason),
        review_pb2.CriterionDecision(item=6, met=True, reason="安全管理措置は適切")])


def test_a_reuse_proposal_is_screened_on_items_1_and_4_to_7_and_ends_in_a_contract(platform, dataset_id):
    buyer, reviewer, operator = (platform.client("business:reuse-lab"), platform.client("reviewer"),
                                 platform.client("operator"))
    proposal = buyer.submit_proposal(scenario.sample_proposal("reuse", "", {}, {}, dataset_id=dataset_id))
    assert not proposal.window_id and sorted(c.item for c in proposal.criteria) == [1, 4, 5, 6, 7]
    decided = reviewer.decide_proposal(_decide(proposal.proposal_id, True))
    assert decided.state == review_pb2.PROPOSAL_STATE_APPROVED
    assert buyer.notice(proposal.proposal_id).form == "別記様式第七"
    buyer.apply_for_contract(proposal.proposal_id)
    concluded = operator.record_fee_payment(proposal.proposal_id, decided.fee.total_yen)
    contract = buyer.contract(concluded.contract_id)
    assert contract.reused_dataset_id == dataset_id and not contract.targets
    assert contract.business_id == "reuse-lab" and contract.conditions.no_secondary_distribution


def test_a_rejected_reuse_proposal_gets_form_8(platform, dataset_id):
    buyer = platform.client("business:reuse-lab")
    proposal = buyer.submit_proposal(scenario.sample_proposal("reuse-2", "", {}, {}, dataset_id=dataset_id))
    platform.client("reviewer").decide_proposal(_decide(proposal.proposal_id, False))
    html = buyer.notice(proposal.proposal_id).html.decode()
    assert "別記様式第八" in html and "第4号" in html and "新たな産業の創出への寄与が読み取れない" in html


def test_a_reuse_proposal_cites_a_created_dataset(platform, dataset_id):
    request = scenario.sample_proposal("reuse-3", "", {}, {}, dataset_id="no-such-dataset")
    with pytest.raises(grpc.RpcError) as caught:
        platform.client("business:reuse-lab").submit_proposal(request)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith("form.dataset_id")
