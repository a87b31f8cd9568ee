"""One address in front of seuil's hosts, as a load balancer's TCP mode: each connection goes to
the next host in turn; a host that refuses the connection is skipped for that connection and the
next host is tried, as HAProxy's `redispatch` and nginx's `proxy_next_upstream error` do.

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


async def main(listen: int, ports: list[int]) -> None:
    turn = itertools.cycle(range(len(ports)))

    async def serve(
        client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        first = next(turn)
        for port in ports[first:] + ports[:first]:
            try:
                host_reader, host_writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                continue
        else:
            client_writer.close()  # no host at all: the client sees the connection closed
            return
        await asyncio.gather(pipe(client_reader, host_writer), pipe(host_reader, client_writer))

    server = await asyncio.start_server(serve, "127.0.0.1", listen, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), [int(port) for port in sys.argv[2:]]))
