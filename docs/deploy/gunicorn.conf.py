# gunicorn.conf.py: gunicorn running eventlet.httpd workers
# (pip install "eventlet-httpd[gunicorn]"; gunicorn -c gunicorn.conf.py myapp.wsgi:application).
worker_class = "eventlet.httpd.gunicorn.EventletWorker"
bind = "127.0.0.1:8000"
workers = 4
worker_connections = 1000  # open connections per worker
keepalive = 75
graceful_timeout = 30
timeout = 30
max_requests = 10000
max_requests_jitter = 1000
forwarded_allow_ips = "127.0.0.1,::1"
