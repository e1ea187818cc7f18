"""Test helpers for oaproto users.

``oaproto.testing.strategies`` holds Hypothesis strategies for Server-Sent
Events (valid streams with their expected events, chunkings, hostile bytes);
it needs the ``testing`` extra (``pip install 'oaproto[testing]'``).
"""
