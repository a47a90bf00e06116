"""Drives a printer agent through a published Anycubic client library, step by step.

Run by Tests/IntegrationTests/RealClientTests*.swift with the venv of scripts/client-venv:

    python drive.py --library anycubic-lan --port 8883 --model-id 20021 --device-id ID \
        --file cube.gcode --delete delete-me.gcode

It connects the library straight to the broker's TLS listener (both libraries insist on TLS
and never check the certificate). With ``--handshake-port`` it goes the way a LAN user does
instead: the library's own handshake (``GET :<port>/info``, then the signed ``POST`` to
``ctrlInfoUrl``; the libraries look on 18910, so the port constant is changed) gives the
broker and its login, and an ``upload`` step posts ``--upload`` to the ``fileUploadurl`` the
library read from ``info``, as Anycubic Slicer Next does; the listing and the print then use
the uploaded file. It runs the steps below in order and prints one JSON object per step on
standard output:

    {"step": "pause", "ok": false, "error": "...", "details": {...}}

A step fails on: an exception the library raised, a report its parser raised on or dropped,
a WARNING or ERROR the library logged, a standing error the library keeps (anycubic-lan's
``PrinterState.errors``, anycubic-cloud-api's ``latest_error_code``), a refused command, or
an outcome the library did not see within the timeout. Steps go on after a failure, so one
run shows every step's verdict. The exit status is 0 when the driver itself ran to the end.

Each step uses the library's own public API where it has one. Where it has none (anycubic-lan
has no file commands and no print start; anycubic-cloud-api has no LAN form of the file
orders and of a print start), the command is published through the library's own command
path (``send_command`` / ``publish_command``) with the payload the library's cloud order
carries or, for anycubic-lan, the one its protocol document gives, and the answer goes
through the library's parser as any report does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
import traceback
import types
from typing import Any, Awaitable, Callable

STEPS = ("connect", "queries", "info", "list-local", "list-usb", "delete", "temperature", "fan",
         "light", "print-start", "pause", "resume", "stop")
#: The steps through the LAN handshake: the handshake first, an upload after info.
HANDSHAKE_STEPS = ("handshake", "connect", "queries", "info", "upload") + STEPS[3:]


class LogRecorder(logging.Handler):
    """Keeps every WARNING or ERROR a library logs (its parsers log what they drop)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("anycubic"):
            self.records.append(f"{record.levelname} {record.name}: {record.getMessage()}")


class Driver:
    """What both libraries' drivers share: the reports seen, the problems found, the steps."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.timeout: float = args.timeout
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.problems: list[str] = []
        self.logs = LogRecorder()
        logging.getLogger().addHandler(self.logs)
        logging.getLogger().setLevel(logging.DEBUG)

    # -- what a step checks -------------------------------------------------

    def standing_errors(self) -> dict[str, str]:
        """The errors the library keeps about the printer now: a short key (kind and code)
        to the whole error."""
        raise NotImplementedError

    async def wait_for(self, what: str, condition: Callable[[], Any], poll: Callable[[], Any] | None = None) -> Any:
        """Waits until `condition()` is truthy and returns it; `poll` runs once a second
        meanwhile, as a client's periodic query does."""
        deadline = time.monotonic() + self.timeout
        next_poll = time.monotonic() + 1
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {self.timeout:.0f} s waiting for {what}; "
                                   f"last reports: {self.recent_reports()}")
            if poll is not None and time.monotonic() >= next_poll:
                if asyncio.iscoroutine(sent := poll()):
                    await sent
                next_poll = time.monotonic() + 1
            await asyncio.sleep(0.05)

    def recent_reports(self, count: int = 4) -> str:
        """The last `count` reports, in one line, for a timeout's message."""
        reports = [p for _, p in self.messages if "type" in p][-count:]
        return "; ".join(f"{p.get('type')}/{p.get('action')} {p.get('state')} {p.get('code')} {p.get('msg')!r}"
                         for p in reports)

    def answer(self, msgid: str | None) -> dict[str, Any] | None:
        """The report echoing `msgid`, once it has arrived (not the bare acknowledgement)."""
        for _, payload in self.messages:
            if msgid is not None and payload.get("msgid") == msgid and "type" in payload:
                return payload
        return None

    async def answered(self, msgid: str | None, what: str, accept: tuple[str, ...] = ("done", "success")) -> dict[str, Any]:
        """Waits for the answer to `msgid` and fails unless its state is one of `accept`
        and its code 200."""
        if msgid is None:
            raise RuntimeError(f"the library sent no {what} command (it returned no msgid)")
        payload = await self.wait_for(f"the answer to {what} (msgid {msgid})", lambda: self.answer(msgid))
        if payload.get("state") not in accept or payload.get("code") not in (0, 200):
            raise RuntimeError(f"{what} was refused: state {payload.get('state')!r}, code {payload.get('code')}, "
                               f"msg {payload.get('msg')!r}")
        return payload

    def print_report(self, state: str) -> dict[str, Any] | None:
        """The latest print report in `state`."""
        for _, payload in reversed(self.messages):
            if payload.get("type") == "print" and payload.get("state") == state:
                return payload
        return None

    # -- running ------------------------------------------------------------

    async def step(self, name: str, body: Callable[[], Awaitable[dict[str, Any] | None]]) -> None:
        """Runs one step and prints its verdict."""
        problems_before, logs_before = len(self.problems), len(self.logs.records)
        standing_before = self.standing_errors()
        error: str | None = None
        details: dict[str, Any] = {}
        try:
            details = await body() or {}
        except Exception as exception:  # the verdict names it
            error = f"{type(exception).__name__}: {exception}"
        found = _counted(self.problems[problems_before:] + self.logs.records[logs_before:])
        standing = self.standing_errors()
        new = [text for key, text in standing.items() if standing_before.get(key) != text]
        old = [key for key, text in standing.items() if standing_before.get(key) == text]
        reasons = ([error] if error else []) + [f"library problem: {p}" for p in found] \
            + [f"standing error: {text}" for text in new] \
            + ([f"still standing from earlier steps: {', '.join(old)}"] if old else [])
        print(json.dumps({"step": name, "ok": not reasons, "error": " | ".join(reasons) or None,
                          "details": details}, default=str), flush=True)

    async def run(self) -> None:
        """Runs every step of STEPS in order (each is the method of that name), then disconnects."""
        for name in HANDSHAKE_STEPS if self.args.handshake_port else STEPS:
            await self.step(name, getattr(self, name.replace("-", "_")))
        await self.close()

    async def close(self) -> None:
        """Disconnects the library."""
        raise NotImplementedError

    def upload_url(self) -> str | None:
        """The upload URL the library read from the printer's info report."""
        raise NotImplementedError

    async def upload(self) -> dict[str, Any]:
        """Posts the file --upload names to the library's ``fileUploadurl`` as Slicer Next
        does (multipart ``filename`` and ``gcode``, header ``X-File-Length``); the later steps
        list and print it."""
        import aiohttp

        url = self.upload_url()
        if not url:
            raise RuntimeError("the library has no fileUploadurl from the info report")
        with open(self.args.upload, "rb") as file:
            body = file.read()
        name = self.args.upload.rsplit("/", 1)[-1]
        form = aiohttp.FormData()
        form.add_field("filename", name)
        form.add_field("gcode", body, filename=name, content_type="application/octet-stream")
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=form, headers={"X-File-Length": str(len(body))}) as response:
                answer = await response.text()
                if response.status != 200 or json.loads(answer).get("code") != 200:
                    raise RuntimeError(f"the upload was refused: HTTP {response.status} {answer}")
        self.args.file = name
        return {"uploaded": name, "bytes": len(body)}

    def patch_handshake_port(self) -> None:
        """Makes both libraries' handshakes look on --handshake-port instead of 18910."""
        import importlib

        # anycubic_lan's package exports a function named like its module: take the module.
        importlib.import_module("anycubic_lan.handshake").DISCOVERY_PORT = self.args.handshake_port
        importlib.import_module("anycubic_cloud_api.lan.handshake").LAN_INFO_PORT = self.args.handshake_port


def _counted(items: list[str]) -> list[str]:
    """`items` in first-seen order, each once, with how often it came when more than once."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return [item if count == 1 else f"{item} (x{count})" for item, count in counts.items()]


# ---------------------------------------------------------------------------
# anycubic-lan
# ---------------------------------------------------------------------------


class LanDriver(Driver):
    """anycubic-lan 0.1.3: ``AnycubicLanClient`` with connection details made by hand."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args)
        from anycubic_lan import AnycubicLanClient, BrokerCredentials, PrinterConnectionInfo, ReportKind
        from anycubic_lan.handshake import DiscoveryInfo
        from anycubic_lan.reports import parse_message

        self.kind = ReportKind
        driver = self

        class ObservedClient(AnycubicLanClient):
            """The library's client, with every message it handles kept and its parse checked."""

            def _handle_message(self, topic: str, payload: bytes) -> None:
                try:
                    message = json.loads(payload)
                except ValueError:
                    driver.problems.append(f"a message that is not JSON on {topic}")
                    return
                if not isinstance(message, dict):
                    return
                driver.messages.append((topic, message))
                try:
                    report = parse_message(payload, topic)
                except Exception as exception:
                    driver.problems.append(f"parse_message raised {type(exception).__name__}: {exception} "
                                           f"on {message.get('type')}/{message.get('action')}")
                    return
                if report is None and message.get("type") and set(message) != {"msgid"}:
                    driver.problems.append(f"dropped report {message.get('type')}/{message.get('action')}")
                try:
                    super()._handle_message(topic, payload)
                except Exception as exception:
                    driver.problems.append(f"applying {message.get('type')}/{message.get('action')} raised "
                                           f"{type(exception).__name__}: {exception}")

        self.client_class = ObservedClient
        if not args.handshake_port:
            discovery = DiscoveryInfo(token="unused", ctrl_info_url="unused", model_id=args.model_id)
            credentials = BrokerCredentials(host=args.host, port=args.port, username="client", password="client",
                                            device_id=args.device_id)
            self.client = ObservedClient(PrinterConnectionInfo(host=args.host, discovery=discovery,
                                                               credentials=credentials))

    async def handshake(self) -> dict[str, Any]:
        import aiohttp
        from anycubic_lan import handshake

        self.patch_handshake_port()
        async with aiohttp.ClientSession() as session:
            info = await handshake(session, self.args.host)
        self.client = self.client_class(info)
        return {"broker": f"{info.credentials.host}:{info.credentials.port}", "device_id": info.device_id,
                "model_id": info.model_id}

    def upload_url(self) -> str | None:
        return self.client.state.file_upload_url

    def standing_errors(self) -> dict[str, str]:
        if not hasattr(self, "client"):  # before the handshake
            return {}
        return {f"{kind} {error.code}": f"PrinterState.errors[{kind!r}] code {error.code} {error.message!r}"
                for kind, error in self.client.state.errors.items()}

    def other(self, name: str) -> Any:
        """A report kind the library has no member for (``file``), for ``send_command``."""
        return types.SimpleNamespace(value=name)

    async def poll_info(self) -> None:
        """Asks for info, as the library's periodic query does."""
        if self.client.is_connected:
            await self.client.query(self.kind.INFO)

    async def connect(self) -> dict[str, Any]:
        await self.client.connect()
        return {"connected": self.client.is_connected}

    async def queries(self) -> dict[str, Any]:
        # connect() sent a query of every kind; an answered info query sent after them proves
        # every answer to them has arrived (the agent answers in order).
        await self.answered(await self.client.send_command(self.kind.INFO, "query"), "info/query")
        return {"answered": sorted({p.get("type") for _, p in self.messages if p.get("type")})}

    async def info(self) -> dict[str, Any]:
        await self.answered(await self.client.send_command(self.kind.INFO, "query"), "info/query")
        state = self.client.state
        if state.printer_state != "free" or not state.firmware_version:
            raise RuntimeError(f"the library did not take the info report: state {state.printer_state!r}, "
                               f"version {state.firmware_version!r}")
        return {"state": state.printer_state, "version": state.firmware_version}

    async def list_local(self) -> dict[str, Any]:
        answer = await self.answered(await self.client.send_command(self.other("file"), "listLocal", {"path": "/"}),
                                     "file/listLocal")
        names = [r.get("filename") for r in (answer.get("data") or {}).get("records") or []]
        if self.args.file not in names:
            raise RuntimeError(f"{self.args.file} is not in the listing {names}")
        return {"files": names}

    async def list_usb(self) -> dict[str, Any]:
        answer = await self.answered(await self.client.send_command(self.other("file"), "listUdisk", {"path": "/"}),
                                     "file/listUdisk")
        return {"files": [r.get("filename") for r in (answer.get("data") or {}).get("records") or []]}

    async def delete(self) -> dict[str, Any]:
        await self.answered(await self.client.send_command(
            self.other("file"), "deleteLocal", {"path": "/", "filename": self.args.delete}), "file/deleteLocal")
        return {"deleted": self.args.delete}

    async def temperature(self) -> dict[str, Any]:
        await self.answered(await self.client.send_command(
            self.kind.TEMPERATURE, "set", {"target_nozzle_temp": 200, "target_hotbed_temp": 60}), "tempature/set")
        await self.client.query(self.kind.TEMPERATURE)
        targets = await self.wait_for("the library to see the new targets", lambda: (
            (t := self.client.state.temperatures).nozzle_target == 200 and t.bed_target == 60 and t))
        return {"nozzle_target": targets.nozzle_target, "bed_target": targets.bed_target}

    async def fan(self) -> dict[str, Any]:
        await self.answered(await self.client.send_command(self.kind.FAN, "setSpeed", {"fan_speed_pct": 50}),
                            "fan/setSpeed")
        await self.client.query(self.kind.FAN)
        await self.wait_for("the library to see the fan at 50 %", lambda: self.client.state.fans.fan_speed_pct == 50)
        return {"fan_speed_pct": 50}

    async def light(self) -> dict[str, Any]:
        await self.answered(await self.client.set_light(True, 80), "light/control")
        await self.client.query(self.kind.LIGHT)
        light = await self.wait_for("the library to see the light on", lambda: (
            (lamp := self.client.state.light) is not None and lamp.on and lamp))
        return {"type": light.type, "on": light.on, "brightness": light.brightness}

    async def print_start(self) -> dict[str, Any]:
        # The start as its protocol document gives it (PROTOCOL.md §7.2): the library has no call for it.
        data = {"taskid": "-1", "url": "", "filename": self.args.file, "filesize": 0, "md5": "",
                "filetype": 1, "filepath": "/", "project_type": 1}
        await self.answered(await self.client.send_command(self.kind.PRINT, "start", data), "print/start",
                            accept=("downloading", "checking", "preheating", "printing", "done"))
        job = await self.wait_for("the library to know the running job (its task id)", lambda: (
            (j := self.client.state.job) is not None and j.task_id is not None and not j.is_finished and j),
            poll=self.poll_info)
        return {"task_id": job.task_id, "filename": job.filename, "status": str(self.client.state.status)}

    async def job_control(self, action: str, states: tuple[str, str], status: str) -> dict[str, Any]:
        """Sends the library's `action` (pause, resume, stop), then waits for the print report
        of the second of `states` and for the library's own status to be `status`."""
        msgid = await getattr(self.client, action)()
        await self.answered(msgid, f"print/{action}", accept=states)
        await self.wait_for(f"a print report {states[1]}", lambda: self.print_report(states[1]), poll=self.poll_info)
        await self.wait_for(f"the library's status {status}", lambda: self.client.state.status == status,
                            poll=self.poll_info)
        return {"status": str(self.client.state.status)}

    async def pause(self) -> dict[str, Any]:
        return await self.job_control("pause", ("pausing", "paused"), "paused")

    async def resume(self) -> dict[str, Any]:
        return await self.job_control("resume", ("resuming", "resumed"), "printing")

    async def stop(self) -> dict[str, Any]:
        return await self.job_control("stop", ("stopping", "stoped"), "idle")

    async def close(self) -> None:
        await self.client.disconnect()


# ---------------------------------------------------------------------------
# anycubic-cloud-api
# ---------------------------------------------------------------------------


class CloudApiDriver(Driver):
    """anycubic-cloud-api 0.4.36: its LAN client feeding an ``AnycubicPrinter``, as the Home
    Assistant integration wires them, and its API object sending orders over that client."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args)
        from anycubic_cloud_api.anycubic_api import AnycubicMQTTAPI
        from anycubic_cloud_api.data_models.consumable import AnycubicConsumableData
        from anycubic_cloud_api.data_models.printer import AnycubicPrinter
        from anycubic_cloud_api.lan import AnycubicLANBroker, AnycubicLANClient

        self.consumable = AnycubicConsumableData
        self.log = logging.getLogger("anycubic_cloud_api.driven")

        class LanOnlyAPI(AnycubicMQTTAPI):
            """The library's API object, kept off the internet: an order with no LAN form
            would otherwise go to the Anycubic cloud."""

            async def _fetch_api_resp(self, endpoint: Any, *args: Any, **kwargs: Any) -> dict[Any, Any]:
                raise RuntimeError(f"the library would send this to the Anycubic cloud ({endpoint}): "
                                   "it has no LAN form of it")

        self.session: Any = None
        self.api_class = LanOnlyAPI
        self.printer_class = AnycubicPrinter
        self.client_class = AnycubicLANClient
        if not args.handshake_port:
            broker = AnycubicLANBroker(host=args.host, port=args.port, username="client", password="client",
                                       device_id=args.device_id, model_id=str(args.model_id))
            self.client = AnycubicLANClient(broker, self.on_message, self.log)
        self.printer: Any = None

    async def handshake(self) -> dict[str, Any]:
        import aiohttp
        from anycubic_cloud_api.lan import AnycubicLANHandshake

        self.patch_handshake_port()
        async with aiohttp.ClientSession() as session:
            broker = await AnycubicLANHandshake(session, self.args.host, self.log).async_authenticate()
        self.client = self.client_class(broker, self.on_message, self.log)
        return {"broker": f"{broker.host}:{broker.port}", "device_id": broker.device_id, "model_id": broker.model_id}

    def upload_url(self) -> str | None:
        return self.printer.file_upload_url if self.printer is not None else None

    def on_message(self, topic: str, message_type: str, payload: dict[str, Any]) -> None:
        """The integration's ``_lan_on_message``, with every exception kept instead of logged at debug."""
        self.messages.append((topic, json.loads(json.dumps(payload))))
        if "type" not in payload or self.printer is None:
            return
        try:
            self.printer.process_mqtt_update(topic, self.consumable(payload))
        except Exception as exception:
            where = f"{payload.get('type')}/{payload.get('action')} {payload.get('state')}"
            detail = getattr(exception, "unhandled_mqtt_data", None)
            if detail is not None:  # AnycubicMQTTUnhandledData: applied, with fields left over
                self.problems.append(f"{type(exception).__name__} on {where}: the report was applied but "
                                     f"left unhandled data {detail}")
            else:
                line = traceback.extract_tb(exception.__traceback__)[-1].line
                self.problems.append(f"{type(exception).__name__} on {where}, the report was dropped: "
                                     f"{exception} at {line!r}")

    def standing_errors(self) -> dict[str, str]:
        if self.printer is None or self.printer.latest_error_code is None:
            return {}
        code, message = self.printer.latest_error_code, self.printer.latest_error_message
        return {f"latest_error_code {code}": f"latest_error_code {code} {message!r}"}

    def poll_info(self) -> None:
        """Asks for info, as the integration's periodic poll does."""
        if self.client.is_connected:
            self.client.query("info")

    async def connect(self) -> dict[str, Any]:
        import aiohttp

        self.session = aiohttp.ClientSession()
        api = self.api_class(self.session, aiohttp.CookieJar(), debug_logger=self.log)
        self.printer = self.printer_class(api, machine_type=self.args.model_id, machine_name="printer-agent",
                                          id=1, key=self.args.device_id)
        await self.client.async_connect()
        api.set_lan_client(self.client)
        return {"connected": self.client.is_connected}

    async def queries(self) -> dict[str, Any]:
        self.client.query_all()  # what the integration sends on connect and every poll
        await self.answered(self.client.publish_command("info", "query"), "info/query")
        return {"answered": sorted({p.get("type") for _, p in self.messages if p.get("type")})}

    async def info(self) -> dict[str, Any]:
        await self.answered(self.client.publish_command("info", "query"), "info/query")
        if not self.printer.local_firmware_version or self.printer.is_busy:
            raise RuntimeError(f"the library did not take the info report: version "
                               f"{self.printer.local_firmware_version!r}, busy {self.printer.is_busy}")
        return {"version": self.printer.local_firmware_version, "available": self.printer.is_available}

    async def list_local(self) -> dict[str, Any]:
        # LIST_LOCAL_FILES has no LAN form in the library: its order (no data) over its LAN client.
        await self.answered(self.client.publish_command("file", "listLocal", None), "file/listLocal")
        files = self.printer.local_file_list_object or []
        names = [f.get("name") for f in files]
        if self.args.file not in names:
            raise RuntimeError(f"{self.args.file} is not in the library's local file list {names}")
        return {"files": names}

    async def list_usb(self) -> dict[str, Any]:
        await self.answered(self.client.publish_command("file", "listUdisk", None), "file/listUdisk")
        # The library keeps an empty list as None: the answer's parse is what is checked.
        return {"files": [f.get("name") for f in self.printer.udisk_file_list_object or []]}

    async def delete(self) -> dict[str, Any]:
        # DELETE_LOCAL_FILE's order data, as the library builds it, over its LAN client.
        data = {"filename": self.args.delete, "filetype": -1, "path": "/"}
        await self.answered(self.client.publish_command("file", "deleteLocal", data), "file/deleteLocal")
        return {"deleted": self.args.delete}

    async def temperature(self) -> dict[str, Any]:
        await self.answered(await self.printer.set_target_temperature(200, 60), "tempature/set")
        return {"nozzle_target": 200, "bed_target": 60}

    async def fan(self) -> dict[str, Any]:
        await self.answered(await self.printer.set_fan_speed(fan_speed_pct=50), "fan/setSpeed")
        self.client.query("fan")
        await self.wait_for("the library to see the fan at 50 %", lambda: self.printer.fan_speed_pct == 50)
        return {"fan_speed_pct": self.printer.fan_speed_pct}

    async def light(self) -> dict[str, Any]:
        # set_light returns nothing: the answer is the next light report.
        before = len(self.messages)
        await self.printer.set_light(True, 80)
        answer = await self.wait_for("the light's answer", lambda: next(
            (p for _, p in self.messages[before:] if p.get("type") == "light"), None))
        if answer.get("state") != "done" or answer.get("code") not in (0, 200):
            raise RuntimeError(f"light/control was refused: state {answer.get('state')!r}, code "
                               f"{answer.get('code')}, msg {answer.get('msg')!r}")
        self.client.query("light")
        await self.wait_for("the library to see the light on", lambda: self.printer.light_is_on)
        return {"light_type": self.printer.light_type, "brightness": self.printer.light_brightness_pct}

    async def print_start(self) -> dict[str, Any]:
        from anycubic_cloud_api.data_models.orders import AnycubicStartPrintRequestLocal

        # START_PRINT has no LAN form in the library: print_local_file's order data over its LAN client.
        data = AnycubicStartPrintRequestLocal(filename=self.args.file, filepath="").data
        await self.answered(self.client.publish_command("print", "start", data), "print/start",
                            accept=("downloading", "checking", "preheating", "printing", "done"))
        await self.wait_for("the library to know the running job", lambda: self.printer.latest_project_print_in_progress,
                            poll=self.poll_info)
        return {"project_id": self.printer.latest_project.id, "name": self.printer.latest_project_name}

    async def pause(self) -> dict[str, Any]:
        await self.answered(await self.printer.pause_print(), "print/pause", accept=("pausing", "paused"))
        await self.wait_for("the library to see the job paused", lambda: self.printer.latest_project_print_is_paused,
                            poll=self.poll_info)
        return {"paused": True}

    async def resume(self) -> dict[str, Any]:
        # Sent as soon as the library sees the job paused, as the integration's button allows.
        await self.answered(await self.printer.resume_print(), "print/resume", accept=("resuming", "resumed"))
        await self.wait_for("a print report resumed", lambda: self.print_report("resumed"), poll=self.poll_info)
        await self.wait_for("the library to see the job printing", lambda: (
            self.printer.latest_project_print_in_progress and not self.printer.latest_project_print_is_paused),
            poll=self.poll_info)
        return {"paused": False}

    async def stop(self) -> dict[str, Any]:
        await self.answered(await self.printer.cancel_print(), "print/stop", accept=("stopping", "stoped"))
        await self.wait_for("a print report stoped", lambda: self.print_report("stoped"), poll=self.poll_info)
        await self.wait_for("the library to see the printer idle", lambda: not self.printer.is_busy,
                            poll=self.poll_info)
        return {"busy": self.printer.is_busy}

    async def close(self) -> None:
        await self.client.async_disconnect()
        if self.session is not None:
            await self.session.close()


def main() -> None:
    """Parses the command line and runs the chosen library's driver."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--library", choices=("anycubic-lan", "anycubic-cloud-api"), required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="the broker's TLS listener (without --handshake-port)")
    parser.add_argument("--handshake-port", type=int, default=0, help="go through the LAN handshake on this port")
    parser.add_argument("--upload", help="with --handshake-port: a G-code file to upload, then list and print")
    parser.add_argument("--model-id", type=int, required=True)
    parser.add_argument("--device-id", required=True)
    parser.add_argument("--file", required=True, help="a G-code file on local storage, to list and print")
    parser.add_argument("--delete", required=True, help="a file on local storage to delete")
    parser.add_argument("--timeout", type=float, default=20)
    args = parser.parse_args()
    driver = LanDriver(args) if args.library == "anycubic-lan" else CloudApiDriver(args)
    asyncio.run(driver.run())


if __name__ == "__main__":
    sys.exit(main())
