"""bench/soak-driver.py: the client side of bench/soak. It starts the print once the agent is
online, sends one command a second (a rotation of queries, the way a cloud or LAN client polls),
matches each report to its msgid, samples the agent's memory and descriptors every
--sample-seconds into a CSV, and ends when the print ends or --limit-minutes have passed.
It reconnects by itself whenever bench/soak's broker is killed. Prints a summary at the end."""
import argparse
import json
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import minimqtt  # noqa: E402

ROTATION = [
    ("status", "query", None),
    ("print", "query", None),
    ("tempature", "query", None),
    ("file", "listLocal", {"path": "/"}),
    ("info", "query", None),
    ("fan", "query", None),
    ("peripherie", "query", None),
    ("ota", "reportVersion", None),
]
ENDED = {"finished", "failed", "stoped"}


def proc_sample(pid):
    """VmRSS, RssAnon, VmHWM (kB) and open descriptors of `pid`."""
    fields = {}
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "VmHWM"):
                fields[key] = int(value.split()[0])
    fds = len(os.listdir("/proc/%d/fd" % pid))
    return fields["VmRSS"], fields["RssAnon"], fields["VmHWM"], fds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--device", required=True)
    parser.add_argument("--pid", type=int, required=True, help="the agent's process id")
    parser.add_argument("--file", required=True, help="the G-code file to print, in the storage root")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--sample-seconds", type=float, default=60)
    parser.add_argument("--limit-minutes", type=float, required=True)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between commands")
    args = parser.parse_args()

    prefix = "anycubic/anycubicCloud/v1/"
    command_topic = "%sserver/printer/%s/%s/" % (prefix, args.model, args.device)
    report_filter = "%sprinter/public/%s/%s/#" % (prefix, args.model, args.device)
    client = minimqtt.Client(args.port, "soak-driver-%d" % os.getpid())

    start = time.monotonic()
    deadline = start + args.limit_minutes * 60
    sent = {}          # msgid -> (send time, time since the driver's last reconnect)
    latencies = []
    not_sent = 0       # commands due while the broker was down
    reconnects = -1    # the driver's own (re)connects; the first is not a reconnect
    connected_at = start
    online_reports = 0
    print_state, progress, print_started = None, 0, False
    started_at = finished_at = None
    next_command = start + 1
    next_sample = None  # set once the print is printing: the first sample is the printing agent
    count = 0

    csv = open(args.csv, "w", buffering=1)
    csv.write("elapsed_s,vmrss_kb,rssanon_kb,vmhwm_kb,fds,commands_sent,answered,broker_drops_seen,print_state,progress\n")
    samples = []

    def sample(now):
        rss, anon, hwm, fds = proc_sample(args.pid)
        samples.append((now - start, rss, anon, hwm, fds))
        csv.write("%.0f,%d,%d,%d,%d,%d,%d,%d,%s,%s\n" % (now - start, rss, anon, hwm, fds, count, len(latencies),
                                                        max(reconnects, 0), print_state, progress))

    while True:
        now = time.monotonic()
        if next_sample is None and (started_at is not None or now - start > 120):
            next_sample = now
        if next_sample is not None and now >= next_sample:
            try:
                sample(now)
            except FileNotFoundError:
                print("soak: the agent (pid %d) is gone" % args.pid, file=sys.stderr)
                break
            next_sample += args.sample_seconds
        if print_state in ENDED or now >= deadline:
            break
        if not client.connected:
            try:
                client.connect(timeout=1)
                client.subscribe(report_filter)
                reconnects += 1
                connected_at = time.monotonic()
            except OSError:
                time.sleep(0.1)
                if print_started and now >= next_command:
                    not_sent += 1
                    next_command += args.interval
                continue
        if print_started and now >= next_command:
            type_, action, data = ROTATION[count % len(ROTATION)]
            msgid = "soak-%d" % count
            count += 1
            payload = {"type": type_, "action": action, "msgid": msgid,
                       "timestamp": int(time.time() * 1000), "data": data}
            try:
                client.publish(command_topic + type_, json.dumps(payload))
                sent[msgid] = (now, now - connected_at)
            except ConnectionError:
                not_sent += 1
            next_command += args.interval
        try:
            messages = client.poll(max(0.0, min(next_command, next_sample or now + 1) - time.monotonic()))
        except ConnectionError:
            continue
        for topic, body, retained in messages:
            try:
                report = json.loads(body)
            except ValueError:
                continue
            tail = topic.rsplit("/", 2)
            if tail[-2:] == ["lastWill", "report"] and report.get("state") == "online":
                online_reports += 1
                if not print_started:
                    # The agent is online: start the print (once).
                    client.publish(command_topic + "print", json.dumps({
                        "type": "print", "action": "start", "msgid": "soak-start",
                        "timestamp": int(time.time() * 1000),
                        "data": {"filename": args.file, "filepath": "/", "file_location": "local",
                                 "taskid": "soak"}}))
                    print_started = True
                    next_command = time.monotonic() + args.interval
            if tail[-1] != "report" or retained:
                continue
            msgid = report.get("msgid")
            if msgid in sent:
                latencies.append(time.monotonic() - sent.pop(msgid)[0])
            if report.get("type") == "print":
                state = report.get("state")
                data = report.get("data") or {}
                if msgid == "soak-start" and report.get("code") != 200:
                    print("soak: print/start failed: %s" % body.decode(), file=sys.stderr)
                    print_state = "failed"
                if isinstance(data, dict) and data.get("taskid") == "soak":
                    if state in ENDED or state in ("printing", "preheating", "paused"):
                        print_state = state
                    if isinstance(data.get("progress"), (int, float)):
                        progress = data["progress"]
                if state == "printing" and started_at is None:
                    started_at = time.monotonic()
                if state in ENDED and finished_at is None:
                    finished_at = time.monotonic()

    end = time.monotonic()
    if not samples or end - start - samples[-1][0] > 5:
        try:
            sample(end)
        except FileNotFoundError:
            pass
    csv.close()
    if not samples:
        print("soak: no samples taken", file=sys.stderr)
        sys.exit(1)
    # What is still unanswered: lost if sent more than 5 s before the end.
    lost = [(t, since) for t, since in sent.values() if end - t > 5]
    lost_after_reconnect = sum(1 for _, since in lost if since <= 5)

    def row(name, index):
        values = [s[index] for s in samples]
        first, last, peak = values[0], values[-1], max(values)
        return "%-14s %10d %10d %10d %+10d" % (name, first, last, peak, last - first)

    print("== soak: %.1f min, %d samples every %.0f s, broker dropped %d times (seen by the client)"
          % ((end - start) / 60, len(samples), args.sample_seconds, max(reconnects, 0)))
    print("%-14s %10s %10s %10s %10s" % ("", "first", "last", "max", "last-first"))
    print(row("VmRSS kB", 1))
    print(row("RssAnon kB", 2))
    print(row("VmHWM kB", 3))
    print(row("open fds", 4))
    answered = len(latencies)
    if latencies:
        ordered = sorted(latencies)
        print("commands: %d sent, %d answered, %d lost, %d pending at the end, %d not sent (broker down); "
              "report latency p50 %.1f ms, p99 %.1f ms, max %.0f ms"
              % (count, answered, len(lost), len(sent) - len(lost), not_sent, 1000 * statistics.median(ordered),
                 1000 * ordered[int(0.99 * (len(ordered) - 1))], 1000 * ordered[-1]))
    if lost:
        print("lost commands: %d sent within 5 s after the client reconnected to a restarted broker (before the "
              "agent was back), %d at other times" % (lost_after_reconnect, len(lost) - lost_after_reconnect))
    print("online reports seen: %d" % online_reports)
    if finished_at is not None:
        took = (finished_at - (started_at or start)) / 60
        print("print: %s after %.1f min of printing" % (print_state, took))
    else:
        print("print: %s at %s%% when the soak ended" % (print_state, progress))
    sys.exit(0 if print_state in ("finished", "printing") else 1)


if __name__ == "__main__":
    main()
