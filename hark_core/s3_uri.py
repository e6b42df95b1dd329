"""`s3://bucket/key` URIs, as SageMaker takes and gives them."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse


@dataclass(frozen=True)
class S3Uri:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Uri:
        parsed = urlparse(uri)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"not an s3:// URI: {uri!r}")
        return cls(bucket=parsed.netloc, key=parsed.path.lstrip("/"))

    def child(self, name: str) -> S3Uri:
        """The object `name` inside this prefix (a trailing slash or not, as AWS allows)."""
        prefix = self.key.rstrip("/")
        return S3Uri(self.bucket, f"{prefix}/{name}" if prefix else name)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def s3_uri(bucket: str, key: str) -> str:
    return str(S3Uri(bucket, key))


def split_s3_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of an object's URI; ValueError for anything else, an empty key included."""
    parsed = S3Uri.parse(uri)
    if not parsed.key:
        raise ValueError(f"not an s3:// object URI: {uri!r}")
    return parsed.bucket, parsed.key
