"""The local stack's template parameters, and a benchmark's override of them."""
from __future__ import annotations

import pytest

from devstack.stack import LOCAL_PARAMETERS, local_parameters


def test_the_local_parameters_unless_overridden() -> None:
    assert local_parameters({}) == LOCAL_PARAMETERS
    assert local_parameters({"HARK_LOCAL_PARAMETERS": '{"TenantConcurrency": 8}'}) == {
        **LOCAL_PARAMETERS,
        "TenantConcurrency": "8",
    }


def test_an_override_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        local_parameters({"HARK_LOCAL_PARAMETERS": "[1, 2]"})
