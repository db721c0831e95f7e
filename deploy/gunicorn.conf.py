"""gunicorn settings for the web process (deploy/systemd/dajiuzhu-web.service).

Two workers per core plus one is gunicorn's rule of thumb for synchronous Django; threads let a
worker overlap database waits. Bind to a local socket: nginx is the only client.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "unix:/run/dajiuzhu/gunicorn.sock")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 60  # long work runs as jobs on Celery, never in a request
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers to bound memory growth
max_requests_jitter = 200
forwarded_allow_ips = "127.0.0.1"
# On the Unix socket the WSGI REMOTE_ADDR is empty: the application takes the client's address from the
# X-Real-IP header nginx sets (DAJIUZHU_TRUSTED_PROXY_HEADER in dajiuzhu.env, core.net.client_address).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("DAJIUZHU_LOG_LEVEL", "info").lower()
# No request URLs with query strings in the access log: searches may carry names or ID numbers.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
