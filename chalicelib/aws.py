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


def transaction(call: Callable[[], Any], what: str, attempts: int = 3) -> list[str]:
    """Runs a TransactWriteItems call: [] when it was applied, else the reason code of each of its
    items ("ConditionalCheckFailed" for a failed condition, "None" for an item that was not the
    cause). A transaction cancelled only by concurrent writes to its items ("TransactionConflict")
    is tried again, up to `attempts` times in all, then reported as cancelled."""
    from botocore.exceptions import ClientError

    codes: list[str] = []
    for _ in range(attempts):
        try:
            guarded(call, what)
            return []
        except ServiceUnavailable as e:
            cause = e.__cause__
            if not (isinstance(cause, ClientError) and error_code(e) == "TransactionCanceledException"):
                raise
            codes = [str(reason.get("Code", "None")) for reason in cause.response.get("CancellationReasons", [])]
            if any(code not in ("None", "TransactionConflict") for code in codes):
                return codes
    return codes or ["TransactionConflict"]
