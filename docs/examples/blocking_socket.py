"""Drive oaproto over blocking sockets (plain http, HTTP/1.1): see docs/embedding.md."""

import socket
from urllib.parse import urlsplit

import oaproto


def exchange(session: oaproto.ChatSession, request: oaproto.HttpRequest) -> oaproto.Event:
    url = urlsplit(request.url)
    with socket.create_connection((url.hostname, url.port or 80), timeout=60) as sock:
        head = [f"{request.method} {url.path}?{url.query} HTTP/1.1", f"host: {url.netloc}"]
        head += ["connection: close", f"content-length: {len(request.body)}"]
        head += map(": ".join, request.headers)
        sock.sendall("\r\n".join(head).encode("latin-1") + b"\r\n\r\n" + request.body)
        reader = sock.makefile("rb")  # keeps the connection open until it is closed
    with reader:
        status = int(reader.readline().split()[1])
        lines = iter(lambda: reader.readline().strip(), b"")  # up to the blank line
        fields = (line.decode("latin-1").partition(":") for line in lines)
        headers = tuple((name.strip().lower(), value.strip()) for name, _, value in fields)

        def read() -> bytes:  # the next piece of the body, b"" at its end
            if ("transfer-encoding", "chunked") not in headers:
                return reader.read1(65536)
            size = int(reader.readline() or b"0", 16)  # a cut-off body ends like a whole one
            return reader.read(size + 2)[:-2] if size else b""

        if not request.stream:
            body = b"".join(iter(read, b""))
            response = oaproto.HttpResponse(status=status, headers=headers, body=body)
            return session.receive_response(response)
        session.receive_stream_start(status, headers)
        while True:
            data = read()
            session.receive_data(data) if data else session.receive_eof()
            while (event := session.next_event()) is not oaproto.NEED_DATA:
                if isinstance(event, oaproto.Token):
                    print(event.text, end="", flush=True)
                if session.state is not oaproto.ChatState.STREAMING:  # a terminal event
                    return event


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
