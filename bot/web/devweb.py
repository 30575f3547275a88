"""``make web``: the stack (action server + ``rasa run``) plus the widget's demo page.

    .venv/bin/python -m bot.web.devweb      # PORT (Rasa, default 5005), WEB_PORT (default 8080)

Rasa allows the demo page's origin (CORS); the demo page's CSP allows requests to Rasa.
Ctrl-C stops the static server, Rasa and the action server.
"""

from __future__ import annotations

import os
import sys
import time

from bot import devstack
from bot.web.static_server import StaticServer


def main() -> int:
    port = int(os.environ.get("PORT", 5005)) or devstack.free_port()
    web_port = int(os.environ.get("WEB_PORT", 8080))
    rasa_url = f"http://127.0.0.1:{port}"
    try:
        web = StaticServer(rasa_url, port=web_port)  # bind first: a taken port fails fast
    except OSError as exc:
        print(f"cannot serve the demo page on 127.0.0.1:{web_port}: {exc} (set WEB_PORT)", file=sys.stderr)
        return 1
    web_port = web.server_address[1]
    origins = [web.origin, f"http://localhost:{web_port}"]
    status = 0
    with web, devstack.stop_on_signals():
        print("starting the assistant (action server and Rasa)...", flush=True)
        try:
            with devstack.running_stack(port=port, cors=origins) as stack:
                print(f"[pids rasa {stack.rasa.proc.pid} actions {stack.actions.proc.pid}; "
                      f"ports {stack.rasa.port} {stack.actions.port} {web_port}]", flush=True)
                print(f"demo page: {web.url}", flush=True)
                print(f"Rasa REST channel: {stack.rasa_url}/webhooks/rest/webhook (logs in {devstack.LOGS})", flush=True)
                print("Ctrl-C stops everything", flush=True)
                while stack.rasa.proc.poll() is None and stack.actions.proc.poll() is None:
                    time.sleep(1)
                print("a server stopped unexpectedly; see the logs in build/logs/", file=sys.stderr)
                status = 1
        except KeyboardInterrupt:
            pass
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            status = 1
    print("stopped", flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
