"""Run the action server: rasa-sdk's app, bound to loopback by default, warmed at start-up.

    python -m bot.actions.server --port 5055 [--host 127.0.0.1]

Differences from ``python -m rasa_sdk``, each for a reason: it listens on 127.0.0.1 unless
told otherwise (the action server has no authentication); it allows no CORS origin (only Rasa
calls it, server to server); its error responses carry no request body (rasa-sdk's echo the
whole tracker); and the knowledge base and the ONNX embedder load before the first request.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

log = logging.getLogger("bot.actions.server")


def create_app():
    from rasa_sdk.endpoint import create_app as sdk_create_app
    from rasa_sdk.executor import ActionExecutor
    from sanic import response

    from .answer import ActionAnswer
    from .assistant_holder import get_assistant

    executor = ActionExecutor()
    executor.register_action(ActionAnswer())
    app = sdk_create_app(executor, cors_origins=[])

    async def safe_error(request, exception):  # noqa: ANN001
        log.error("action server error: %s", type(exception).__name__)
        status = getattr(exception, "status_code", 500) or 500
        return response.json({"error": "internal error" if status >= 500 else "bad request"}, status=status)

    # Replace rasa-sdk's handler, which echoes the whole request (the tracker) back.
    app.error_handler.cached_handlers[(Exception, None)] = safe_error

    @app.before_server_start
    async def warm(_app, _loop) -> None:  # noqa: ANN001
        await asyncio.to_thread(get_assistant)
        log.info("knowledge base and embedding model loaded")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("ACTIONS_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", "5055")))
    args = parser.parse_args()
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app()
    app.run(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()
