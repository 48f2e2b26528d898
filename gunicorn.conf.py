"""gunicorn's settings for facegate: `gunicorn -c gunicorn.conf.py wsgi:app` is the way to serve the web app.

Threads, not processes, carry the gates' long polls: a gate's poll holds one thread for up to
FACEGATE_EVENTS_MAX_WAIT_S while it waits on Redis (no database connection, almost no CPU), so each gate costs a
thread, not a process. FACEGATE_WEB_WORKERS processes x FACEGATE_WEB_THREADS threads must exceed the gates plus the
people using the web pages at once (docs/web.md gives the measurements). Everything comes from app/config.py.
"""

from app.config import Config

_config = Config.at_start()

bind = [_config.WEB_BIND]
workers = _config.WEB_WORKERS
worker_class = "gthread"
threads = _config.WEB_THREADS
# A restart lets the open long polls finish (the gate asks again with its cursor and misses nothing).
graceful_timeout = int(_config.EVENTS_MAX_WAIT_S) + 5
# gthread's timeout is how long a worker may go without telling the master it lives, not a request's time limit.
timeout = 60
# Idle keep-alive connections wait in the worker's poller, not in a thread; gates poll again at once.
keepalive = 10
# The request line and headers gunicorn accepts at all (its defaults; anything longer is a 400 before Flask).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
if _config.TLS_CERT_FILE:
    certfile = _config.TLS_CERT_FILE
    keyfile = _config.TLS_KEY_FILE
accesslog = "-"
errorlog = "-"
# gunicorn's control socket (a unix socket under ~/.gunicorn) is not used; several servers on one host would share it.
control_socket_disable = True
