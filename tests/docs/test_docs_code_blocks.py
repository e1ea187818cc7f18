"""Every ``python`` and ``console`` block of README.md and docs/ runs against a reference server.

The rules a block follows are in this directory's ``conftest.py`` (and ``docs/contributing.md``).
"""

from __future__ import annotations

import ast
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from oaproto.transports.server import ThreadedServer

from .docs_blocks import (
    DEFAULT_SERVE_URL,
    DOCS_TOKEN,
    ROOT,
    CodeBlock,
    code_blocks,
    harness_environment,
)

RUN_BLOCK = Path(__file__).with_name("run_block.py")
#: Generous bound for one block (a hang guard, far above the usual second).
BLOCK_TIMEOUT = 90.0


def _defines_tests(source: str) -> bool:
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
        for node in ast.parse(source).body
    )


def _report(block: CodeBlock, result: subprocess.CompletedProcess[str], what: str) -> str:
    return f"{block.where}: {what}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def _run_python(block: CodeBlock, source: str, server: ThreadedServer, workdir: Path) -> None:
    if _defines_tests(source):
        module = workdir / "test_docs_block.py"
        module.write_text(source, encoding="utf-8")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)]
    else:
        block_file = workdir / "block.py"
        block_file.write_text(source, encoding="utf-8")
        label = f"<{block.where}>"
        command = [sys.executable, str(RUN_BLOCK), str(block_file), label, server.url, DOCS_TOKEN]
    result = subprocess.run(
        command,
        cwd=workdir,
        env=harness_environment(),
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, _report(block, result, f"exited {result.returncode}")


@dataclass(frozen=True)
class ConsoleStep:
    """One ``$ `` command of a console block and the output lines shown after it."""

    command: str
    shown: tuple[str, ...] = ()


def _console_steps(source: str) -> list[ConsoleStep]:
    steps: list[ConsoleStep] = []
    continued = False
    for line in source.splitlines():
        if continued:
            steps[-1] = ConsoleStep(steps[-1].command + "\n" + line)
        elif line.startswith("$ "):
            steps.append(ConsoleStep(line[2:]))
        elif steps:
            steps[-1] = ConsoleStep(steps[-1].command, (*steps[-1].shown, line))
        continued = line.endswith("\\")
    return steps


def _expected_statuses(steps: list[ConsoleStep], last: int) -> list[int]:
    """0 for every command, but a command followed by ``$ echo $?`` must exit as shown."""
    expected = [0] * len(steps)
    expected[-1] = last
    for index, step in enumerate(steps[1:], start=1):
        if step.command.strip() == "echo $?" and step.shown and step.shown[0].strip().isdigit():
            expected[index - 1] = int(step.shown[0])
    return expected


def _console_script(commands: list[str]) -> str:
    """One bash session: each command's exit status recorded, then restored for ``$?``."""
    record = 'docs_status=$?; echo "$docs_status" >> "$DOCS_STATUS_FILE"; (exit "$docs_status")'
    return "".join(f"{command}\n{record}\n" for command in commands)


def _run_until(block: CodeBlock, command: str, text: str, env: dict[str, str], cwd: Path) -> None:
    """Start a long-running command, wait for ``text`` in its output, stop it with SIGINT."""
    seen: list[str] = []
    found = threading.Event()
    with subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                seen.append(line)
                if text in line:
                    found.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            assert found.wait(BLOCK_TIMEOUT), f"{block.where}: no {text!r} in: {''.join(seen)}"
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(BLOCK_TIMEOUT)
            finally:
                process.kill()  # a no-op once it exited
                reader.join(BLOCK_TIMEOUT)


def _run_console(block: CodeBlock, source: str, server: ThreadedServer, workdir: Path) -> None:
    steps = _console_steps(source)
    assert steps, f"{block.where}: a console block with no '$ ' command"
    env = harness_environment()
    until = block.options.get("until")
    session = steps[:-1] if until is not None else steps
    if session:
        status_file = workdir / ".docs-statuses"
        status_file.unlink(missing_ok=True)  # one file per run of a block
        script = workdir / ".docs-block.sh"
        script.write_text(_console_script([step.command for step in session]), encoding="utf-8")
        result = subprocess.run(
            ["bash", str(script)],
            cwd=workdir,
            env={**env, "DOCS_STATUS_FILE": str(status_file)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT,
            check=False,
        )
        statuses = [int(s) for s in status_file.read_text().split()] if status_file.exists() else []
        expected = _expected_statuses(session, int(block.options.get("exit-code", "0")))
        what = f"the commands exited {statuses}, not {expected}"
        assert statuses == expected, _report(block, result, what)
    if until is not None:
        _run_until(block, steps[-1].command, until, env, workdir)


def test_code_block_runs(
    code_block: CodeBlock, docs_server: ThreadedServer, tmp_path: Path
) -> None:
    source = code_block.source.replace(DEFAULT_SERVE_URL, docs_server.url)
    if code_block.language == "python":
        _run_python(code_block, source, docs_server, tmp_path)
    else:
        _run_console(code_block, source, docs_server, tmp_path)


def test_every_fence_names_its_language(markdown_page: Path) -> None:
    # An unnamed fence would be neither run nor marked as an illustration.
    unnamed = [block.where for block in code_blocks(markdown_page) if not block.language]
    assert unnamed == [], "name the language (python, console, text, sh, ...) of these blocks"


def test_blocks_import_only_public_modules(markdown_page: Path) -> None:
    # Private modules (oaproto._config, oaproto.transports._sync...) are not API.
    private = re.compile(r"\boaproto(?:\.[a-z]\w*)*\._\w")
    found = [
        block.where
        for block in code_blocks(markdown_page)
        if block.language == "python" and private.search(block.source)
    ]
    assert found == []


def test_the_harness_finds_blocks_of_each_kind() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    blocks = [block for page in pages for block in code_blocks(page)]
    assert {"python", "console", "sh"} <= {block.language for block in blocks}


def test_console_steps_are_the_dollar_lines_with_their_output() -> None:
    source = "$ oaproto chat \\\n  --json hi\n{}\n$ echo $?\n0\n$ true\n"
    assert _console_steps(source) == [
        ConsoleStep("oaproto chat \\\n  --json hi", ("{}",)),
        ConsoleStep("echo $?", ("0",)),
        ConsoleStep("true"),
    ]
    assert _console_steps("just output\n") == []


def test_a_command_shown_with_its_status_may_fail() -> None:
    steps = _console_steps("$ oaproto chats show x\nerror\n$ echo $?\n4\n$ oaproto models\n")
    assert _expected_statuses(steps, last=0) == [4, 0, 0]
    assert _expected_statuses(steps, last=3) == [4, 0, 3]


@pytest.mark.oa_server(token_delay=0)
def test_readme_stream_loop_prints_a_reply_that_finished_before_the_stream(
    oa_server: ThreadedServer, tmp_path: Path
) -> None:
    # The events request waits until the reply is complete, then answers 204:
    # nothing is streamed, and the loop must still print the fetched text.
    (block,) = [
        block
        for block in code_blocks(ROOT / "README.md")
        if block.language == "python" and "chat.reply(" in block.source
    ]
    oa_server.faults.add("slow-headers=0.3", step="events")
    oa_server.faults.add("status=204", step="events")
    source = block.source.replace(DEFAULT_SERVE_URL, oa_server.url)
    block_file = tmp_path / "block.py"
    block_file.write_text(source, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(RUN_BLOCK), str(block_file), "readme", oa_server.url, DOCS_TOKEN],
        cwd=tmp_path,
        env=harness_environment(),
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    first_reply = result.stdout.splitlines()[0]
    assert first_reply.strip(), "the reply fetched after the stream was not printed"
    assert "message" in [request.step for request in oa_server.requests]


def test_blocks_carry_the_directive_written_right_before_them(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        '<!-- docs-test: exit-code=3 until="listening on" -->\n'
        "```console\n$ oaproto chat\n```\n\n"
        "<!-- docs-test: exit-code=1 -->\n\nA paragraph in between.\n\n"
        "```python\nprint(1)\n```\n"
        "   ```text\n   indented\n   ```\n",
        encoding="utf-8",
    )
    blocks = list(code_blocks(page))
    assert [(b.line, b.language, b.options) for b in blocks] == [
        (2, "console", {"exit-code": "3", "until": "listening on"}),
        (10, "python", {}),
        (13, "text", {}),
    ]
    assert blocks[2].source == "indented\n"


def test_console_blocks_run_as_one_shell_session(
    docs_server: ThreadedServer, tmp_path: Path
) -> None:
    page = ROOT / "README.md"
    session = '$ export GREETING=hi\n$ test "$GREETING" = hi\n$ (exit 4)\n$ echo $?\n4\n'
    shown = CodeBlock(page, 1, "console", session + "$ sh -c 'exit 3'\n", {"exit-code": "3"})
    _run_console(shown, shown.source, docs_server, tmp_path)
    failing = CodeBlock(page, 1, "console", "$ true\n$ (exit 3)\n$ true\n", {})
    with pytest.raises(AssertionError, match=r"exited \[0, 3, 0\], not \[0, 0, 0\]"):
        _run_console(failing, failing.source, docs_server, tmp_path)
    wrong_status = CodeBlock(page, 1, "console", "$ (exit 2)\n$ echo $?\n4\n", {})
    with pytest.raises(AssertionError, match=r"exited \[2, 0\], not \[4, 0\]"):
        _run_console(wrong_status, wrong_status.source, docs_server, tmp_path)
