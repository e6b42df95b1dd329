"""S3 objects: uploaded media, job inputs and results."""
from __future__ import annotations

from typing import Any, BinaryIO, Optional

from chalicelib.aws import guarded
from hark_core.errors import NotFound


class ObjectStore:
    def __init__(self, s3: Any) -> None:
        self._s3 = s3

    def put_bytes(self, bucket: str, key: str, body: bytes, content_type: str = "application/octet-stream") -> None:
        guarded(lambda: self._s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type), "storing data")

    def put_stream(self, bucket: str, key: str, stream: BinaryIO) -> None:
        guarded(lambda: self._s3.upload_fileobj(stream, bucket, key), "storing data")

    def copy(self, source_bucket: str, source_key: str, bucket: str, key: str) -> None:
        guarded(
            lambda: self._s3.copy({"Bucket": source_bucket, "Key": source_key}, bucket, key), "copying data"
        )

    def get_bytes(self, bucket: str, key: str) -> bytes:
        return guarded(lambda: self._get(bucket, key), "reading data")

    def exists(self, bucket: str, key: str) -> bool:
        try:
            self.get_size(bucket, key)
            return True
        except NotFound:
            return False

    def get_size(self, bucket: str, key: str) -> int:
        def head() -> int:
            try:
                return int(self._s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
            except self._s3.exceptions.ClientError as e:
                if e.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                    raise NotFound(f"object not found: {key}") from e
                raise

        return guarded(head, "reading data")

    def delete(self, bucket: str, key: Optional[str]) -> None:
        if key:
            guarded(lambda: self._s3.delete_object(Bucket=bucket, Key=key), "deleting data")

    def _get(self, bucket: str, key: str) -> bytes:
        try:
            return self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except self._s3.exceptions.NoSuchKey as e:
            raise NotFound(f"object not found: {key}") from e
