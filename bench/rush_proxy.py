"""One address in front of seuil's hosts, as a load balancer's TCP mode with HAProxy's
`balance leastconn`: each connection goes to the host holding the fewest open connections (ties
in turn); a host that refuses the connection is skipped for that connection and the next one
is tried, as HAProxy's `redispatch` and nginx's `proxy_next_upstream error` do.

Least connections, not turns: each host has one sync worker per core, so a host whose workers
are all busy queues a request in its listen backlog while the other host may be idle. Dealt in
turn, a slow activation on one host makes the next requests it is dealt wait behind it.

    python bench/rush_proxy.py LISTEN_PORT HOST_PORT [HOST_PORT ...]
"""

import asyncio
import itertools
import sys


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


def order(ports: list[int], open_: dict[int, int], turn: int) -> list[int]:
    """The hosts to try, fewest open connections first; equal ones starting from `turn`."""
    rotated = ports[turn % len(ports) :] + ports[: turn % len(ports)]
    return sorted(rotated, key=lambda port: open_[port])  # sorted() is stable: ties keep turns


async def main(listen: int, ports: list[int]) -> None:
    turns = itertools.count()
    open_ = dict.fromkeys(ports, 0)

    async def serve(
        client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        for port in order(ports, open_, next(turns)):
            open_[port] += 1  # counted before the connect, so that a burst spreads at once
            try:
                host_reader, host_writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                open_[port] -= 1
                continue
        else:
            client_writer.close()  # no host at all: the client sees the connection closed
            return
        try:
            await asyncio.gather(pipe(client_reader, host_writer), pipe(host_reader, client_writer))
        finally:
            open_[port] -= 1

    server = await asyncio.start_server(serve, "127.0.0.1", listen, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), [int(port) for port in sys.argv[2:]]))
