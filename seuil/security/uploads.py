"""No form of seuil takes a file. Django's body cap does not count multipart file parts, which it
spools to disk: a 100 MB file was accepted by the sign-in page. This handler skips every file part
without keeping a byte, and marks the request so that bounded_body refuses it."""

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, SkipFile

REFUSED = "seuil_file_refused"


class NoFiles(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        if self.request is not None:
            setattr(self.request, REFUSED, True)
        raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        return None

    def file_complete(self, file_size: int) -> None:
        return None
