"""Drives the agent's web page in headless Chromium, as a person would, through Selenium.

Run by Tests/IntegrationTests/WebPageTests.swift with the venv of scripts/client-venv (the
pin is in Tests/Fixtures/browser/requirements.txt), on Debian's chromium and chromedriver:

    python page_drive.py --url http://127.0.0.1:8080/ --key KEY --upload cube.gcode --screens DIR
    python page_drive.py --url http://127.0.0.1:8080/ --key KEY --upload cube.gcode --screens DIR --usb NAME

Steps: ``key`` (the page asks for the key; a wrong one is refused and asked again; the
right one is typed in, the page shows the printer
Operational with its temperatures; ``load_ms`` is the page's load time, from the request to
the load event), ``app-request`` (an application asks for the API key through OctoPrint's
app-key flow, as Home Assistant does: the page lists it under "Applications asking for
access"), ``app-approve`` (its Approve button: the application's poll gets the key, the box
is hidden), ``app-deny`` (another application's request denied: its poll is 404),
``upload`` (a file chosen and uploaded: the progress bar
full, the file in the list), ``print`` (its Print button: the state becomes Printing, the job's
file and progress show), ``pause`` and ``resume`` (the buttons: Paused, then Printing), and
``console`` (a line sent: the API's answer shown, here a refusal),
``targets`` (before the print: new nozzle and bed targets shown), ``fan`` (50 %, then off:
the page says each was done; the test allows M106 and M107 on the console), ``stop`` (the Stop button,
confirmed: Operational, no print), ``delete`` (the uploaded file's Delete, confirmed: gone from
the list) and ``outside-print`` (another client prints a listed file through the API: the
page shows Printing and that file). With ``--usb NAME`` (a file on the USB stick) the steps are
``key``, ``usb-list`` (the USB stick's list shows NAME, the local list does not),
``usb-print`` (NAME's Print: Printing, the job's file NAME and its origin ``sdcard``; then
cancelled through the API) and ``usb-delete`` (NAME's Delete, confirmed: gone from the list). ``key`` says whether the USB
list is shown (``usb_shown``). Each
step prints one JSON object on standard output, ``{"step", "ok", "error", "details"}``, and
saves a screenshot ``NN-step.png`` in DIR. Steps go on after a failure; the exit status is 0
when the driver ran to the end.
"""

from __future__ import annotations

import argparse
import json
import os
import traceback
import urllib.error
import urllib.request
from typing import Any, Callable

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

STEPS = ("key", "app-request", "app-approve", "app-deny", "targets", "fan", "upload", "print", "pause", "resume", "console", "stop", "delete", "outside-print")
USB_STEPS = ("key", "usb-list", "usb-print", "usb-delete")


def report(step: str, ok: bool, error: str | None = None, **details: Any) -> None:
    print(json.dumps({"step": step, "ok": ok, "error": error, "details": details}), flush=True)


def browser() -> webdriver.Chrome:
    """Debian's Chromium, headless, through Debian's chromedriver (nothing downloaded)."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=760,1500", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--upload", required=True, help="a G-code file to upload and print")
    parser.add_argument("--screens", required=True, help="the folder the screenshots go to")
    parser.add_argument("--usb", help="a file on the USB stick: list and delete it from the page")
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    os.makedirs(args.screens, exist_ok=True)
    driver = browser()
    wait = WebDriverWait(driver, args.timeout, poll_frequency=0.2)
    name = os.path.basename(args.upload)
    number = 0

    def api(method: str, path: str, body: Any = None) -> Any:
        """A request to the API beside the browser, as another client with the key sends it."""
        request = urllib.request.Request(args.url.rstrip("/") + path, method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"X-Api-Key": args.key, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=args.timeout) as answer:
            data = answer.read()
        return json.loads(data) if data else None

    def text(element_id: str) -> str:
        return driver.find_element(By.ID, element_id).text

    def state_is(state: str) -> Callable[[Any], bool]:
        return lambda _: text("state") == state

    def step(title: str, run: Callable[[], dict[str, Any]]) -> None:
        nonlocal number
        number += 1
        try:
            details = run()
            ok, error = True, None
        except Exception as exc:  # a step's failure is reported, and the next step runs
            details, ok = {}, False
            error = f"{type(exc).__name__}: {exc} (state {text('state')!r}, message {text('message')!r})"
            traceback.print_exc()
        shot = os.path.join(args.screens, f"{number:02d}-{title}.png")
        driver.save_screenshot(shot)
        report(title, ok, error, screenshot=shot, **details)

    def key() -> dict[str, Any]:
        driver.get(args.url)
        form = wait.until(lambda d: d.find_element(By.ID, "key-form"))
        wait.until(lambda _: form.is_displayed())
        load_ms = driver.execute_script(
            "const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime;")
        field = driver.find_element(By.ID, "key")
        field.send_keys("not-the-key")
        driver.find_element(By.CSS_SELECTOR, "#key-form button").click()
        wait.until(lambda _: "wrong API key" in text("message") and form.is_displayed())
        refusal = text("message")
        field.clear()
        field.send_keys(args.key)
        driver.find_element(By.CSS_SELECTOR, "#key-form button").click()
        wait.until(state_is("Operational"))
        wait.until(lambda _: text("tool-temp") not in ("", "–"))
        if args.usb:
            wait.until(lambda d: d.find_element(By.ID, "usb").is_displayed())
        return {"usb_shown": driver.find_element(By.ID, "usb").is_displayed(),"load_ms": load_ms, "wrong_key": refusal, "state": text("state"), "nozzle": text("tool-temp"), "bed": text("bed-temp"), "title": text("name"),
                "version": text("version"), "stored_key": driver.execute_script(
                    "return localStorage.getItem('printer-api-key')")}

    def app_key_request(app: str) -> str:
        """An application's key request, with no key, as Home Assistant sends it: its poll token."""
        request = urllib.request.Request(args.url.rstrip("/") + "/plugin/appkeys/request", method="POST",
                                         data=json.dumps({"app": app}).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=args.timeout) as answer:
            return json.loads(answer.read())["app_token"]

    def app_poll(token: str) -> tuple[int, Any]:
        """The application's poll: its status and JSON body."""
        try:
            with urllib.request.urlopen(args.url.rstrip("/") + "/plugin/appkeys/request/" + token,
                                        timeout=args.timeout) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, None

    def app_row(app: str) -> Any:
        return wait.until(lambda d: next((r for r in d.find_elements(By.CSS_SELECTOR, "#app-requests tr")
                                          if r.find_element(By.TAG_NAME, "td").text == app), False))

    tokens: dict[str, str] = {}

    def app_request() -> dict[str, Any]:
        tokens["approved"] = app_key_request("Page Test App")
        row = app_row("Page Test App")
        return {"row": row.text, "shown": driver.find_element(By.ID, "apps").is_displayed(),
                "poll": app_poll(tokens["approved"])[0]}

    def app_decide(app: str, token: str, button: str) -> dict[str, Any]:
        app_row(app).find_element(By.XPATH, f".//button[text()='{button}']").click()
        status, body = wait.until(lambda _: (lambda polled: polled if polled[0] != 202 else False)(app_poll(token)))
        wait.until(lambda d: not d.find_element(By.ID, "apps").is_displayed())
        return {"poll": status, "api_key": (body or {}).get("api_key"), "message": text("message")}

    def app_approve() -> dict[str, Any]:
        return app_decide("Page Test App", tokens["approved"], "Approve")

    def app_deny() -> dict[str, Any]:
        token = app_key_request("Unwanted App")
        return app_decide("Unwanted App", token, "Deny")

    def upload() -> dict[str, Any]:
        driver.find_element(By.ID, "upload-file").send_keys(os.path.abspath(args.upload))
        driver.find_element(By.CSS_SELECTOR, "#upload-form button").click()
        row = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'tr[data-path="{name}"]'))
        progress = driver.find_element(By.ID, "upload-progress")
        return {"row": row.text, "stored_size": api("GET", "/api/files/local/" + urllib.request.quote(name))["size"], "progress": float(progress.get_attribute("value") or 0),
                "progress_shown": progress.is_displayed(), "message": text("message")}

    def print_file() -> dict[str, Any]:
        driver.find_element(By.CSS_SELECTOR, f'tr[data-path="{name}"] button').click()
        wait.until(state_is("Printing"))
        wait.until(lambda _: text("job-file") == name and text("job-percent") != "")
        return {"state": text("state"), "file": text("job-file"), "percent": text("job-percent")}

    def button_to(button: str, state: str) -> Callable[[], dict[str, Any]]:
        def run() -> dict[str, Any]:
            wait.until(lambda d: d.find_element(By.ID, button).is_enabled())
            driver.find_element(By.ID, button).click()
            wait.until(state_is(state))
            return {"state": text("state"), "message": text("message")}
        return run

    def console() -> dict[str, Any]:
        driver.find_element(By.ID, "console-line").send_keys("M115")
        driver.find_element(By.CSS_SELECTOR, "#console-form button").click()
        wait.until(lambda _: text("console-answer") != "")
        return {"answer": text("console-answer"), "key_form_hidden": not driver.find_element(By.ID, "key-form").is_displayed()}

    def targets() -> dict[str, Any]:
        for form, value, shown in (("tool", "190", "tool-target"), ("bed", "55", "bed-target")):
            field = driver.find_element(By.ID, form + "-set")
            field.clear()
            field.send_keys(value)
            driver.find_element(By.CSS_SELECTOR, f"#{form}-form button").click()
            wait.until(lambda _, shown=shown, value=value: text(shown) == value)
        return {"nozzle_target": text("tool-target"), "bed_target": text("bed-target"), "message": text("message")}

    def fan() -> dict[str, Any]:
        field = driver.find_element(By.ID, "fan-set")
        field.clear()
        field.send_keys("50")
        driver.find_element(By.CSS_SELECTOR, "#fan-form button").click()
        wait.until(lambda _: text("message") == "Fan 50 %")
        on = text("message")
        driver.find_element(By.ID, "fan-off").click()
        wait.until(lambda _: text("message") == "Fan off")
        return {"on": on, "off": text("message")}

    def stop() -> dict[str, Any]:
        driver.find_element(By.ID, "stop").click()
        wait.until(lambda d: d.switch_to.alert).accept()
        wait.until(state_is("Operational"))
        wait.until(lambda _: text("job-file") == "No print")
        buttons = {b: driver.find_element(By.ID, b).is_enabled() for b in ("pause", "resume", "stop")}
        return {"state": text("state"), "file": text("job-file"), "enabled": buttons}

    def delete() -> dict[str, Any]:
        driver.find_element(By.CSS_SELECTOR, f'tr[data-path="{name}"] button.danger').click()
        wait.until(lambda d: d.switch_to.alert).accept()
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f'tr[data-path="{name}"]'))
        return {"files": text("files"), "message": text("message")}

    def outside_print() -> dict[str, Any]:
        """Another client (a slicer, Home Assistant) prints the first listed file: the page follows."""
        other = driver.find_element(By.CSS_SELECTOR, "tr[data-path]").get_attribute("data-path")
        api("POST", "/api/files/local/" + urllib.request.quote(other), {"command": "select", "print": True})
        wait.until(state_is("Printing"))
        wait.until(lambda _: text("job-file") == other)
        return {"state": text("state"), "file": text("job-file")}

    usb_row = f'#usb-files tr[data-path="{args.usb}"]'

    def usb_list() -> dict[str, Any]:
        row = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, usb_row))
        return {"row": row.text, "local_rows": [r.get_attribute("data-path") for r in
                                                 driver.find_elements(By.CSS_SELECTOR, "#files tr[data-path]")]}

    def usb_print() -> dict[str, Any]:
        driver.find_element(By.CSS_SELECTOR, usb_row + " button").click()
        wait.until(state_is("Printing"))
        wait.until(lambda _: text("job-file") == args.usb)
        origin = api("GET", "/api/job")["job"]["file"]["origin"]
        api("POST", "/api/job", {"command": "cancel"})
        wait.until(state_is("Operational"))
        return {"file": args.usb, "origin": origin}

    def usb_delete() -> dict[str, Any]:
        driver.find_element(By.CSS_SELECTOR, usb_row + " button.danger").click()
        wait.until(lambda d: d.switch_to.alert).accept()
        wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, usb_row))
        return {"message": text("message"), "usb": text("usb-files"),
                "sdcard": [f["path"] for f in api("GET", "/api/files/sdcard")["files"]]}

    try:
        if args.usb:
            for title, run in zip(USB_STEPS, (key, usb_list, usb_print, usb_delete)):
                step(title, run)
            return 0
        for title, run in zip(STEPS, (key, app_request, app_approve, app_deny, targets, fan, upload, print_file, button_to("pause", "Paused"),
                                      button_to("resume", "Printing"), console, stop, delete, outside_print)):
            step(title, run)
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
