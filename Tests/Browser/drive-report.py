#!/usr/bin/env python3
"""Drive dupelink's HTML report in headless Chromium, as a person would, and download the plan.

usage: drive-report.py --page REPORT.html --out DIR [--uncheck-class PATH] [--uncheck-file PATH]
                       [--download] [--screenshot FILE.png] [--measure] [--chromium BINARY]

Speaks the Chrome DevTools protocol over --remote-debugging-pipe (file descriptors 3 and 4, one
JSON message per NUL-terminated record), so it needs nothing beyond Python's standard library
and Debian's `chromium`. Steps, in order:
  * opens the page from file:// and waits until its script says it is ready (window.dupelinkReady);
  * --uncheck-class PATH: types PATH into the page's "Path contains" filter, waits for the list to
    show the class holding PATH, and clicks that class's checkbox with the mouse;
  * --uncheck-file PATH: the same, then clicks the checkbox of the name PATH;
  * --screenshot FILE: saves a PNG of the page (after clearing the filter);
  * --download: clicks "Download plan (JSON)" and waits for the file in DIR;
  * --measure: prints, as JSON, the milliseconds from navigation to ready, and how long typing a
    filter took to show its result (the page's responsiveness on a large report).
Prints one JSON object on standard output: {"plan": path or null, "readyMs", "filterMs",
"screenshot"}. Exits 1 with the reason on standard error when a step fails or times out.
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    def __init__(self, binary, profile):
        to_child_read, to_child_write = os.pipe()
        from_child_read, from_child_write = os.pipe()

        def wire():
            # Chromium reads commands on fd 3 and writes answers on fd 4.
            os.dup2(to_child_read, 3)
            os.dup2(from_child_write, 4)

        args = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-extensions", "--disable-background-networking", "--remote-debugging-pipe",
                "--user-data-dir=" + profile, "--window-size=1280,1000", "about:blank"]
        # Descriptors are closed after preexec_fn runs, except those named here.
        self.process = subprocess.Popen(args, preexec_fn=wire, pass_fds=(3, 4),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_read)
        os.close(from_child_write)
        self.commands = os.fdopen(to_child_write, "wb", buffering=0)
        self.answers = os.fdopen(from_child_read, "rb", buffering=0)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def receive(self):
        while b"\0" not in self.buffer:
            chunk = self.answers.read(65536)
            if not chunk:
                raise RuntimeError("chromium closed the pipe (did it start?)")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=True):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        self.commands.write(json.dumps(message).encode() + b"\0")
        while True:
            answer = self.receive()
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression, what, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.02)
        raise RuntimeError(f"timed out waiting for {what}")

    def click(self, selector):
        """A real mouse click at the element's centre, after scrolling it into view."""
        box = self.evaluate(
            "(function(){var e=document.querySelector(%s); if(!e) return null; e.scrollIntoView({block:'center'});"
            "var r=e.getBoundingClientRect(); return [r.left+r.width/2, r.top+r.height/2];})()" % json.dumps(selector))
        if box is None:
            raise RuntimeError(f"nothing on the page matches {selector}")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1})

    def type_filter(self, text):
        """Types into the "Path contains" box and waits until the page has applied it."""
        self.evaluate("(function(){var e=document.getElementById('filter-path'); e.focus(); e.select();})()")
        self.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Backspace", "code": "Backspace", "windowsVirtualKeyCode": 8})
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Backspace", "code": "Backspace", "windowsVirtualKeyCode": 8})
        if text:
            self.call("Input.insertText", {"text": text})
        self.wait_for("!window.dupelinkPending && document.getElementById('classes').dataset.filter === %s" % json.dumps(text.lower()),
                      f"the filter '{text}' to apply")

    def close(self):
        try:
            self.call("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def shown_selector(path):
    return 'input.file-box[data-path=%s]' % json.dumps(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--page", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--uncheck-class", action="append", default=[])
    parser.add_argument("--uncheck-file", action="append", default=[])
    parser.add_argument("--download", action="store_true")
    parser.add_argument("--screenshot")
    parser.add_argument("--measure", action="store_true")
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser") or "chromium")
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="dupelink-chromium-")
    browser = Browser(args.chromium, profile)
    result = {"plan": None, "readyMs": None, "filterMs": None, "screenshot": None}
    try:
        targets = browser.call("Target.getTargets", session=False)["targetInfos"]
        page_target = next(t for t in targets if t["type"] == "page")
        browser.session = browser.call("Target.attachToTarget", {"targetId": page_target["targetId"], "flatten": True},
                                       session=False)["sessionId"]
        browser.call("Page.enable")
        browser.call("Runtime.enable")
        browser.call("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": os.path.abspath(args.out),
                                                     "eventsEnabled": True}, session=False)
        url = "file://" + os.path.abspath(args.page)
        started = time.monotonic()
        browser.call("Page.navigate", {"url": url})
        browser.wait_for("window.dupelinkReady === true", "the page to be ready", timeout=60)
        result["readyMs"] = round((time.monotonic() - started) * 1000)

        for path in args.uncheck_class:
            browser.type_filter(path)
            browser.wait_for("!!document.querySelector(%s)" % json.dumps(shown_selector(path)), f"the class of {path}")
            selector = 'section.cls:has(%s) input.class-box' % shown_selector(path)
            browser.click(selector)
            browser.wait_for("document.querySelector(%s).checked === false" % json.dumps(selector), f"the class of {path} to be unchecked")
        for path in args.uncheck_file:
            browser.type_filter(path)
            browser.wait_for("!!document.querySelector(%s)" % json.dumps(shown_selector(path)), f"{path} to show")
            browser.click(shown_selector(path))
            browser.wait_for("document.querySelector(%s).checked === false" % json.dumps(shown_selector(path)), f"{path} to be unchecked")

        if args.measure:
            started = time.monotonic()
            browser.type_filter("zzz-no-such-path-zzz")
            result["filterMs"] = round((time.monotonic() - started) * 1000)

        browser.type_filter("")
        if args.screenshot:
            shot = browser.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})
            with open(args.screenshot, "wb") as file:
                file.write(base64.b64decode(shot["data"]))
            result["screenshot"] = os.path.abspath(args.screenshot)

        if args.download:
            target = os.path.join(args.out, "dupelink-plan.json")
            if os.path.exists(target):
                os.remove(target)
            browser.click("#download")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                done = any(e.get("method") == "Browser.downloadProgress" and e["params"].get("state") == "completed"
                           for e in browser.events)
                if done and os.path.exists(target):
                    break
                browser.evaluate("1")  # let events arrive
                time.sleep(0.05)
            else:
                raise RuntimeError("the plan was not downloaded within 30 s")
            result["plan"] = os.path.abspath(target)
    except Exception as error:  # noqa: BLE001 - the reason goes to the caller
        print(f"drive-report: {error}", file=sys.stderr)
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
        return 1
    browser.close()
    shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
