"""The rush's SMTP server, in a process of its own (the load generator's threads must not slow
its answers): every message it accepts is written to FOLDER/mail/, one file each; while the
file FOLDER/refusing exists, it answers every message 451 (try again later).

    python bench/rush_smtp.py PORT FOLDER
"""

import asyncio
import itertools
import os
import sys
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, folder: Path) -> None:
        self.folder, self.numbers = folder, itertools.count()
        (folder / "mail").mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if (self.folder / "refusing").exists():
            return "451 4.3.0 Mail refused for now, try again later"
        name = f"{next(self.numbers):08d}.eml"
        partial = self.folder / "mail" / f".{name}"
        partial.write_bytes(envelope.content)
        os.replace(partial, self.folder / "mail" / name)  # readers never see half a message
        return "250 OK"


async def main(port: int, folder: Path) -> None:
    controller = Controller(Recorder(folder), hostname="127.0.0.1", port=port)
    controller.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), Path(sys.argv[2])))
