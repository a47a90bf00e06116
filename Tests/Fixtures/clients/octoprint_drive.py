"""Drives the agent's OctoPrint-compatible API through a published OctoPrint client library.

Run by Tests/IntegrationTests/OctoApiClientTests.swift with the venv of scripts/client-venv
(the pins are in Tests/Fixtures/octoprint/requirements.txt):

    python octoprint_drive.py --library octorest --port 8080 --key KEY --upload cube.gcode
    python octoprint_drive.py --library octorest --port 8080 --key KEY --upload cube.gcode --sdcard NAME
    python octoprint_drive.py --library pyoctoprintapi --port 8080

``octorest`` (with the key): version, files, an upload, the uploaded file selected with
print=true, the job seen printing, paused, resumed, cancelled, the file deleted. With
``--sdcard NAME`` (a file on the USB stick, the ``sdcard`` origin), octorest's SD card calls
instead: the stick's files, NAME's entry, NAME selected with print=true, the job seen printing
with its origin, cancelled, NAME deleted, and an upload to ``sdcard`` (refused: its status).
``pyoctoprintapi`` (the library of Home Assistant's OctoPrint integration), without a key:
the app-key flow Home Assistant runs (probe, request, poll until the printer's owner approves
it: the test does, on the printer or with the API key), then with the key it got: server, the discovery UUID, the
webcam settings, the printer's temperatures and state, new tool and bed targets, the job (a slicer's upload started it
before), pause, resume and cancel, as Home Assistant's buttons send them.

Each step prints one JSON object on standard output, ``{"step", "ok", "error", "details"}``;
a step fails on an exception the library raised or an outcome not seen within the timeout.
Steps go on after a failure; the exit status is 0 when the driver ran to the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import traceback
from typing import Any, Callable

OCTOREST_STEPS = ("version", "files", "upload", "select-print", "printing", "pause", "resume", "cancel", "delete")
OCTOREST_SDCARD_STEPS = ("version", "sd-files", "sd-info", "sd-select-print", "sd-printing", "sd-cancel", "sd-delete",
                         "sd-upload")
PYOCTOPRINTAPI_STEPS = ("appkey", "server", "discovery", "webcam", "printer", "temperature", "printing", "pause", "resume",
                        "cancel")


def report(step: str, ok: bool, error: str | None = None, **details: Any) -> None:
    print(json.dumps({"step": step, "ok": ok, "error": error, "details": details}), flush=True)


def wait_for(what: str, read: Callable[[], Any], check: Callable[[Any], bool], timeout: float) -> Any:
    """Reads until ``check`` holds; raises with the last value read after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    value = read()
    while not check(value):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not seen within {timeout} s; last: {value!r}")
        time.sleep(0.2)
        value = read()
    return value


def run_octorest(args: argparse.Namespace) -> None:
    from octorest import OctoRest

    url = f"http://127.0.0.1:{args.port}"
    client = None

    def step(name: str, action: Callable[[], dict]) -> None:
        try:
            report(name, True, **(action() or {}))
        except Exception as error:  # the verdict is printed, the next step runs
            report(name, False, f"{type(error).__name__}: {error}", trace=traceback.format_exc())

    def connect() -> dict:
        nonlocal client
        client = OctoRest(url=url, apikey=args.key)  # reads /api/version with the key
        return {"version": client.version}

    def state() -> str:
        return client.job_info()["state"]

    step("version", connect)
    if args.sdcard:
        run_octorest_sdcard(args, client, step, state)
        return
    step("files", lambda: {"names": [f["name"] for f in client.files()["files"]]})
    step("upload", lambda: {"answer": client.upload(args.upload)})
    name = args.upload.rsplit("/", 1)[-1]
    step("select-print", lambda: client.select(name, print=True) or {})
    step("printing", lambda: {"state": wait_for("printing", state, lambda s: s == "Printing", args.timeout)})
    step("pause", lambda: client.pause() or {"state": wait_for("paused", state, lambda s: s == "Paused", args.timeout)})
    step("resume", lambda: client.resume() or {"state": wait_for("printing", state, lambda s: s == "Printing", args.timeout)})
    step("cancel", lambda: client.cancel() or {"state": wait_for("operational", state, lambda s: s == "Operational", args.timeout)})
    step("delete", lambda: client.delete(name) or {"names": [f["name"] for f in client.files()["files"]]})


def run_octorest_sdcard(args: argparse.Namespace, client: Any, step: Callable[[str, Callable[[], dict]], None],
                        state: Callable[[], str]) -> None:
    """octorest's calls on the ``sdcard`` origin, on the file ``args.sdcard`` of the USB stick."""
    name = args.sdcard

    def paths() -> list[str]:
        return [f["path"] for f in client.files("sdcard")["files"]]

    def job_origin() -> dict:
        printing = wait_for("printing", state, lambda s: s == "Printing", args.timeout)
        return {"state": printing, "origin": client.job_info()["job"]["file"]["origin"]}

    def upload() -> dict:
        try:
            client.upload(args.upload, location="sdcard")
        except RuntimeError as error:  # octorest's refusal: "... (<status>)"
            return {"status": int(str(error).rsplit("(", 1)[-1].rstrip(")")), "error": str(error)}
        raise AssertionError("the upload to sdcard was accepted")

    step("sd-files", lambda: {"paths": paths()})
    step("sd-info", lambda: {"origin": client.files_info("sdcard", name)["origin"]})
    step("sd-select-print", lambda: client.select("sdcard/" + name, print=True) or {})
    step("sd-printing", job_origin)
    step("sd-cancel", lambda: client.cancel() or {"state": wait_for("operational", state, lambda s: s == "Operational",
                                                                     args.timeout)})
    step("sd-delete", lambda: client.delete("sdcard/" + name) or {"paths": paths()})
    step("sd-upload", upload)


async def run_pyoctoprintapi(args: argparse.Namespace) -> None:
    import aiohttp
    from pyoctoprintapi import OctoprintClient

    async with aiohttp.ClientSession() as session:
        client = OctoprintClient("127.0.0.1", session, args.port, False, "/")

        async def step(name: str, action) -> None:
            try:
                report(name, True, **((await action()) or {}))
            except Exception as error:  # the verdict is printed, the next step runs
                report(name, False, f"{type(error).__name__}: {error}", trace=traceback.format_exc())

        async def appkey() -> dict:
            # As Home Assistant's config flow: the request, then polls until approved.
            key = await client.request_app_key("Home Assistant", "homeassistant", timeout=int(args.timeout))
            client.set_api_key(key)
            return {"key_length": len(key)}

        async def job_state(expected: str) -> dict:
            deadline = time.monotonic() + args.timeout
            while True:
                job = await client.get_job_info()
                if job.state == expected:
                    return {"state": job.state, "name": job.job.file.name, "completion": job.progress.completion}
                if time.monotonic() > deadline:
                    raise TimeoutError(f"job state {expected} not seen within {args.timeout} s; last {job.state}")
                await asyncio.sleep(0.2)

        async def server() -> dict:
            info = await client.get_server_info()
            return {"version": info.version, "safemode": info.safe_mode}

        async def discovery() -> dict:
            return {"uuid": (await client.get_discovery_info()).upnp_uuid}

        async def webcam() -> dict:
            settings = await client.get_webcam_info()
            return {"enabled": settings.enabled, "bitrate": settings.bitrate, "stream": settings.stream_url}

        async def printer() -> dict:
            info = await client.get_printer_info()
            tools = {tool.name: [tool.actual_temp, tool.target_temp] for tool in info.temperatures}
            return {"state": info.state.text, "operational": info.state.flags.operational, "tools": tools}

        async def temperature() -> dict:
            # Home Assistant's number entities for the tool's and the bed's targets.
            await client.set_tool_temperature("tool0", 205)
            await client.set_bed_temperature(65)
            return {}

        async def pause() -> dict:
            await client.pause_job()
            return await job_state("Paused")

        async def resume() -> dict:
            await client.resume_job()
            return await job_state("Printing")

        async def cancel() -> dict:
            await client.cancel_job()
            return await job_state("Operational")

        await step("appkey", appkey)
        await step("server", server)
        await step("discovery", discovery)
        await step("webcam", webcam)
        await step("printer", printer)
        await step("temperature", temperature)
        await step("printing", lambda: job_state("Printing"))
        await step("pause", pause)
        await step("resume", resume)
        await step("cancel", cancel)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", choices=("octorest", "pyoctoprintapi"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", help="the API key (octorest)")
    parser.add_argument("--upload", help="a G-code file to upload and print (octorest)")
    parser.add_argument("--sdcard", help="a file on the USB stick: octorest's SD card calls on it (octorest)")
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    if args.library == "octorest":
        run_octorest(args)
    else:
        asyncio.run(run_pyoctoprintapi(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
