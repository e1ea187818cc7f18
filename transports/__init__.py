"""Transports for oaproto: every place where bytes move.

Client adapters (aiohttp, httpx, requests, h11 over anyio), the reference
server (``oaproto.transports.server``) and the command line (``oaproto``).
Each adapter only moves bytes; all protocol logic lives in ``oaproto``.
"""
