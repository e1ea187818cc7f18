"""Drive oaproto over blocking sockets (plain http, HTTP/1.0): see docs/embedding.md."""

import socket
from urllib.parse import urlsplit

import oaproto


def exchange(session: oaproto.ChatSession, request: oaproto.HttpRequest) -> oaproto.Event:
    """Send one request on a new connection; give the answer to the session."""
    url = urlsplit(request.url)
    target = f"{url.path}?{url.query}" if url.query else url.path
    head = [f"{request.method} {target} HTTP/1.0", f"host: {url.netloc}"]
    if request.body:
        head.append(f"content-length: {len(request.body)}")
    head += [f"{name}: {value}" for name, value in request.headers]
    address = (url.hostname, url.port or 80)
    with socket.create_connection(address, timeout=60) as sock, sock.makefile("rb") as reader:
        sock.sendall("\r\n".join(head).encode("latin-1") + b"\r\n\r\n" + request.body)
        status = int(reader.readline().split()[1])  # from b"HTTP/1.0 200 OK"
        headers = []
        while line := reader.readline().strip():  # header lines, up to the blank line
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        # HTTP/1.0: one request per connection, no chunked encoding, the body runs to EOF.
        if not request.stream:
            body = reader.read()
            response = oaproto.HttpResponse(status=status, headers=tuple(headers), body=body)
            return session.receive_response(response)
        session.receive_stream_start(status, tuple(headers))
        while True:
            data = reader.read1(65536)  # whatever has arrived, b"" at EOF
            if data:
                session.receive_data(data)
            else:
                session.receive_eof()  # next_event() must now end the stream or raise
            while (event := session.next_event()) is not oaproto.NEED_DATA:
                if isinstance(event, oaproto.Token):
                    print(event.text, end="", flush=True)
                if not session.is_streaming:  # a terminal event
                    return event  # leaving the with-block closes the connection


def run(config: oaproto.ClientConfig, prompt: str) -> str:
    session = oaproto.ChatSession(config)
    exchange(session, session.create_chat())
    try:  # create_chat() succeeded: from here on the chat must be deleted
        exchange(session, session.post_prompter_message(prompt))
        exchange(session, session.request_assistant_message())
        event = exchange(session, session.open_event_stream())
        if isinstance(event, oaproto.ReplyAlreadyFinished):  # 204 / web 200-empty
            event = exchange(session, session.fetch_message())
        if isinstance(event, oaproto.ReplyFailed):  # a retry would be legal now
            raise event.to_exception()
        if not isinstance(event, oaproto.ReplyCompleted):  # fetched while still running
            raise oaproto.RemoteProtocolError(f"no reply yet: {event!r}")
        return event.text  # authoritative: the joined tokens may differ
    finally:  # delete_chat() is legal in every state that knows the chat
        exchange(session, session.delete_chat())


def main() -> None:
    """Chat once with the server at argv[1] (token: $OAPROTO_TOKEN), else with a local one."""
    # Imported here: the driver above needs nothing but socket, urllib.parse and oaproto.
    import os
    import sys

    if len(sys.argv) > 1:  # a server of yours, e.g. `oaproto serve`
        token = os.environ.get("OAPROTO_TOKEN")
        config = oaproto.ClientConfig(
            base_url=sys.argv[1], dialect=oaproto.Dialect.INFERENCE, token=token
        )
        print("\n" + run(config, "Hello there"))  # the streamed tokens, then the final text
        return
    from oaproto.transports.server import ThreadedServer  # needs oaproto[server]

    with ThreadedServer(warn_open_mode=False) as server:
        config = oaproto.ClientConfig(base_url=server.url, dialect=oaproto.Dialect.INFERENCE)
        print("\n" + run(config, "Hello there"))


if __name__ == "__main__":
    main()
