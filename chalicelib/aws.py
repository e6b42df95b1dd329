"""Running AWS calls so that no botocore exception leaves the adapters."""
from __future__ import annotations

from typing import Any, Callable, TypeVar

from hark_core.errors import ServiceUnavailable

T = TypeVar("T")


def is_conditional_failure(error: Exception) -> bool:
    return getattr(error, "response", {}).get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def guarded(call: Callable[[], T], what: str) -> T:
    """Runs an AWS call, turning any botocore failure into ServiceUnavailable."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return call()
    except (ClientError, BotoCoreError) as e:
        raise ServiceUnavailable(f"{what} failed; try again") from e


def conditional(call: Callable[[], Any], what: str) -> bool:
    """Runs a conditional write: False when its condition failed, True when it was applied."""
    from botocore.exceptions import ClientError

    try:
        guarded(call, what)
        return True
    except ServiceUnavailable as e:
        if isinstance(e.__cause__, ClientError) and is_conditional_failure(e.__cause__):
            return False
        raise


def error_code(error: ServiceUnavailable) -> str:
    """The AWS error code behind a ServiceUnavailable raised by ``guarded``, or ""."""
    return str(getattr(error.__cause__, "response", {}).get("Error", {}).get("Code", ""))
