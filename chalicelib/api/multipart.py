"""multipart/form-data bodies (the OpenAI-compatible endpoint's uploads), parsed with the
standard library's MIME parser: the form is one MIME multipart message."""
from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Optional

from hark_core.errors import BadRequest, UnsupportedMediaType


@dataclass(frozen=True)
class FormField:
    name: str
    data: bytes
    filename: Optional[str] = None

    @property
    def text(self) -> str:
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BadRequest(f"form field {self.name!r} is not UTF-8 text") from e


def parse_form(content_type: Optional[str], body: bytes) -> list[FormField]:
    """The fields of a multipart/form-data body, in order (a name may repeat)."""
    if not content_type or not content_type.lower().startswith("multipart/form-data"):
        raise UnsupportedMediaType("send the request as multipart/form-data (a 'file' field and form fields)")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BadRequest("the multipart/form-data body could not be parsed (is the boundary right?)")
    fields = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise BadRequest("every form part needs a Content-Disposition name")
        filename = part.get_filename()
        fields.append(FormField(name=name, data=_payload(part), filename=filename))
    return fields


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""
