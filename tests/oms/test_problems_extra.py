"""A domain error's extra data adds members to the problem; it never replaces the members every
problem carries (a service naming a field `status` once turned a 409 into a 500)."""

from rest_framework.test import APIRequestFactory

from oms.api.problems import problem_exception_handler
from oms.exceptions import Conflict


def test_extra_named_like_a_reserved_member_keeps_the_problem_intact():
    request = APIRequestFactory().post("/api/v1/returns/R1/reject/")
    error = Conflict(
        "The return was already closed.",
        code="return_not_rejectable",
        extra={"status": "closed", "instance": "/elsewhere", "rma": "R1"},
    )

    response = problem_exception_handler(error, {"request": request})

    assert response.status_code == 409
    assert response.data["status"] == 409
    assert response.data["code"] == "return_not_rejectable"
    assert response.data["instance"] == "/api/v1/returns/R1/reject/"
    assert response.data["rma"] == "R1"
